"""Settings of the telemetry service, read from the environment by one pure function."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

DEFAULT_LISTEN_ADDR = "127.0.0.1:4317"
DEFAULT_DATA_DIR = ".council-data"


INGEST_MODES = ("python", "native")


class SettingsError(ValueError):
    """A configuration value is invalid; `variable` names the environment variable."""

    def __init__(self, variable: str, message: str) -> None:
        super().__init__(f"{variable}: {message}")
        self.variable = variable


@dataclasses.dataclass(frozen=True)
class Settings:
    """Validated settings. Durations carry their unit in the name."""

    listen_addr: str = DEFAULT_LISTEN_ADDR
    clickhouse_url: str = ""
    cluster: str = ""
    query_enabled: bool = True
    query_token: str = ""
    auth_token: str = ""
    tls_cert_file: str = ""
    tls_key_file: str = ""
    max_batch_rows: int = 50_000
    max_buffer_rows: int = 500_000
    flush_interval_ms: int = 200
    log_format: str = "text"
    raw_ttl_days: int = 30
    selections_ttl_days: int = 400
    query_default_rows: int = 10_000
    query_max_rows: int = 1_000_000
    query_default_timeout_s: float = 30.0
    query_max_timeout_s: float = 300.0
    query_max_result_bytes: int = 256 * 1024 * 1024
    query_max_memory_bytes: int = 2 * 1024 * 1024 * 1024
    # ExecuteQuery calls running at once; more are refused RESOURCE_EXHAUSTED + RetryInfo.
    query_max_concurrent: int = 2
    retry_after_s: float = 1.0
    # python: spans mapped to rows in Python; native: mapped by the embedded engine from the
    # raw request bytes (telemetry_service.native_ingest; faster in bulk, but each flush
    # pays a fixed planning cost, see docs/benchmarks.md).
    ingest_mode: str = "python"

    @property
    def is_embedded(self) -> bool:
        return self.clickhouse_url.startswith("chdb://")

    def redacted_clickhouse_url(self) -> str:
        return redact_url(self.clickhouse_url)


def redact_url(url: str) -> str:
    """The URL with any password replaced by `***`, for logs and messages (never raises)."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    userinfo, _, hostport = parts.netloc.rpartition("@")
    user = userinfo.split(":", 1)[0]
    netloc = f"{user}:***@{hostport}" if ":" in userinfo else parts.netloc
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def default_clickhouse_url(data_dir: str, cwd: str) -> str:
    """`chdb://` plus an absolute path to `<data_dir>/clickhouse` (relative to `cwd`)."""
    base = Path(data_dir)
    if not base.is_absolute():
        base = Path(cwd) / base
    return "chdb://" + str((base / "clickhouse").resolve())


def _int(environ: Mapping[str, str], name: str, default: int, minimum: int, maximum: int) -> int:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(name, f"must be an integer, got {raw!r}") from None
    if not minimum <= value <= maximum:
        raise SettingsError(name, f"must be between {minimum} and {maximum}, got {value}")
    return value


def _bool(environ: Mapping[str, str], name: str, default: bool) -> bool:
    raw = environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise SettingsError(name, f"must be true or false, got {raw!r}")


def _listen_addr(environ: Mapping[str, str], name: str) -> str:
    raw = environ.get(name, "").strip() or DEFAULT_LISTEN_ADDR
    host, sep, port = raw.rpartition(":")
    if not sep or not host or not port.isdigit() or int(port) > 65535:
        raise SettingsError(name, f"must be HOST:PORT with a port 0..65535, got {raw!r}")
    return raw


def _clickhouse_url(environ: Mapping[str, str], cwd: str) -> str:
    name = "CLICKHOUSE_URL"
    raw = environ.get(name, "").strip()
    if not raw:
        data_dir = environ.get("TELEMETRY_DATA_DIR", "").strip() or DEFAULT_DATA_DIR
        return default_clickhouse_url(data_dir, cwd)
    parts = urlsplit(raw)
    if parts.scheme == "chdb":
        path = raw[len("chdb://") :]
        if not path or path == ":memory:":
            raise SettingsError(
                name, "chdb:// needs a directory path, e.g. chdb:///var/lib/telemetry"
            )
        if not Path(path).is_absolute():
            path = str(Path(cwd) / path)
        return "chdb://" + path
    if parts.scheme in ("http", "https"):
        if not parts.hostname:
            raise SettingsError(name, f"has no host: {redact_url(raw)!r}")
        try:
            _ = parts.port
        except ValueError:
            raise SettingsError(name, f"has a bad port: {redact_url(raw)!r}") from None
        return raw
    raise SettingsError(
        name, f"scheme must be chdb, http or https, got {parts.scheme or '(none)'!r}"
    )


def _choice(environ: Mapping[str, str], name: str, default: str, choices: tuple[str, ...]) -> str:
    raw = environ.get(name, "").strip().lower() or default
    if raw not in choices:
        raise SettingsError(name, f"must be one of {', '.join(choices)}, got {raw!r}")
    return raw


def _cluster(environ: Mapping[str, str]) -> str:
    raw = environ.get("TELEMETRY_CLUSTER", "").strip()
    if raw and not raw.replace("_", "").replace("-", "").isalnum():
        raise SettingsError("TELEMETRY_CLUSTER", f"must be a cluster identifier, got {raw!r}")
    return raw


def _tls(environ: Mapping[str, str]) -> tuple[str, str]:
    cert = environ.get("TELEMETRY_TLS_CERT_FILE", "").strip()
    key = environ.get("TELEMETRY_TLS_KEY_FILE", "").strip()
    if bool(cert) != bool(key):
        missing = "TELEMETRY_TLS_KEY_FILE" if cert else "TELEMETRY_TLS_CERT_FILE"
        raise SettingsError(missing, "must be set together with its TLS counterpart")
    for name, path in (("TELEMETRY_TLS_CERT_FILE", cert), ("TELEMETRY_TLS_KEY_FILE", key)):
        if path and not os.path.isfile(path):
            raise SettingsError(name, f"file not found: {path!r}")
    return cert, key


def load_settings(environ: Mapping[str, str], cwd: str | None = None) -> Settings:
    """Validate the TELEMETRY_* / CLICKHOUSE_URL variables; raises SettingsError naming one."""
    workdir = cwd if cwd is not None else os.getcwd()
    cert, key = _tls(environ)
    max_batch = _int(environ, "TELEMETRY_MAX_BATCH_ROWS", 50_000, 1, 10_000_000)
    max_buffer = _int(environ, "TELEMETRY_MAX_BUFFER_ROWS", max(500_000, max_batch), 1, 100_000_000)
    if max_buffer < max_batch:
        raise SettingsError(
            "TELEMETRY_MAX_BUFFER_ROWS",
            f"must be >= TELEMETRY_MAX_BATCH_ROWS ({max_batch}), got {max_buffer}",
        )
    clickhouse_url = _clickhouse_url(environ, workdir)
    cluster = _cluster(environ)
    return Settings(
        listen_addr=_listen_addr(environ, "TELEMETRY_LISTEN_ADDR"),
        clickhouse_url=clickhouse_url,
        cluster=cluster,
        query_enabled=_bool(environ, "TELEMETRY_QUERY_ENABLED", True),
        query_token=environ.get("TELEMETRY_QUERY_TOKEN", "").strip(),
        auth_token=environ.get("TELEMETRY_AUTH_TOKEN", "").strip(),
        tls_cert_file=cert,
        tls_key_file=key,
        max_batch_rows=max_batch,
        max_buffer_rows=max_buffer,
        flush_interval_ms=_int(environ, "TELEMETRY_FLUSH_INTERVAL_MS", 200, 1, 60_000),
        log_format=_choice(environ, "TELEMETRY_LOG_FORMAT", "text", ("text", "json")),
        raw_ttl_days=_int(environ, "TELEMETRY_RAW_TTL_DAYS", 30, 1, 36_500),
        selections_ttl_days=_int(environ, "TELEMETRY_SELECTIONS_TTL_DAYS", 400, 1, 36_500),
        query_max_concurrent=_int(environ, "TELEMETRY_QUERY_MAX_CONCURRENT", 2, 1, 64),
        ingest_mode=_ingest_mode(environ, clickhouse_url, cluster),
    )


def _ingest_mode(environ: Mapping[str, str], clickhouse_url: str, cluster: str) -> str:
    mode = _choice(environ, "TELEMETRY_INGEST_MODE", "python", INGEST_MODES)
    # The engine reads each batch from a file on this machine, into local tables.
    local = clickhouse_url.startswith("chdb://") and not cluster
    if mode == "native" and not local:
        raise SettingsError(
            "TELEMETRY_INGEST_MODE",
            "native needs the embedded engine (CLICKHOUSE_URL chdb://...) and no TELEMETRY_CLUSTER",
        )
    return mode
