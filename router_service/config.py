"""Router settings from the environment: parsed and validated in one pure function.

`load_settings(environ)` reads only the mapping it is given (plus the files that
`OPENROUTER_API_KEY_FILE` and the TLS variables name) and raises `ConfigError`
naming the offending variable. The CLI turns that into exit code 2.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from router_service.event_loop import DEFAULT_EVENT_LOOP, EVENT_LOOPS
from router_service.upstream_http import HTTP_CLIENTS

DEFAULT_LISTEN_ADDR = "127.0.0.1:50051"
DEFAULT_BASE_URL = "https://openrouter.ai/api/v1"
DEFAULT_APP_URL = "https://github.com/llmcouncil/pareto-router"
DEFAULT_APP_TITLE = "LLM Council Router"
# Per process: enough for a few councils at once without unbounded queueing.
DEFAULT_MAX_CONCURRENCY = 128
# gRPC's own default is 4 MiB; a seat request is text only.
DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024
# Sum of message content characters per request (see ChatMessage.content in the proto).
DEFAULT_MAX_MESSAGE_CHARS = 1_000_000
DEFAULT_DRAIN_SECONDS = 10.0
DEFAULT_MAX_ATTEMPTS = 3
MAX_ATTEMPTS_CAP = 10

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class ConfigError(ValueError):
    """A setting is missing or invalid. `name` is the variable (or file/key) at fault."""

    def __init__(self, name: str, problem: str) -> None:
        super().__init__(f"{name}: {problem}")
        self.name = name
        self.problem = problem


class Secret:
    """A string that never shows itself in repr/str (so it cannot leak into logs)."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __reduce__(self) -> tuple[type[Secret], tuple[str]]:
        # Picklable so settings can be handed to worker processes.
        return (Secret, (self._value,))


@dataclass(frozen=True)
class Settings:
    """Everything the router needs to run. Build it with `load_settings`."""

    api_key: Secret
    listen_host: str = "127.0.0.1"
    listen_port: int = 50051
    base_url: str = DEFAULT_BASE_URL
    workers: int = 1
    max_concurrency: int = DEFAULT_MAX_CONCURRENCY
    auth_token: Secret | None = None
    tls_cert: bytes | None = field(default=None, repr=False)
    tls_key: bytes | None = field(default=None, repr=False)
    max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES
    max_message_chars: int = DEFAULT_MAX_MESSAGE_CHARS
    drain_seconds: float = DEFAULT_DRAIN_SECONDS
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    config_dir: Path | None = None
    capture_content: bool = False
    app_url: str = DEFAULT_APP_URL
    app_title: str = DEFAULT_APP_TITLE
    log_format: str = "text"
    log_level: str = "INFO"
    # The HTTP library that talks to OpenRouter (one of upstream_http.HTTP_CLIENTS).
    http_client: str = HTTP_CLIENTS[0]
    # The event loop each worker runs on (one of event_loop.EVENT_LOOPS).
    event_loop: str = DEFAULT_EVENT_LOOP

    @property
    def listen_addr(self) -> str:
        """`host:port` as gRPC binds it (IPv6 hosts in brackets)."""
        host = f"[{self.listen_host}]" if ":" in self.listen_host else self.listen_host
        return f"{host}:{self.listen_port}"

    @property
    def upstream_host(self) -> str:
        return urlsplit(self.base_url).hostname or ""

    @property
    def tls_enabled(self) -> bool:
        return self.tls_cert is not None


def parse_listen_addr(name: str, value: str) -> tuple[str, int]:
    """Split `host:port` (IPv6 as `[::1]:port`); port 0 asks the OS for a free one."""
    host, sep, port_text = value.rpartition(":")
    if not sep or not host:
        raise ConfigError(name, f"expected HOST:PORT, got {value!r}")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    try:
        port = int(port_text)
    except ValueError:
        raise ConfigError(name, f"port must be an integer, got {value!r}") from None
    if not 0 <= port <= 65535:
        raise ConfigError(name, f"port must be 0..65535, got {port}")
    return host, port


def _int(environ: Mapping[str, str], name: str, default: int, lo: int, hi: int) -> int:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(name, f"must be an integer, got {raw!r}") from None
    if not lo <= value <= hi:
        raise ConfigError(name, f"must be between {lo} and {hi}, got {value}")
    return value


def _float(environ: Mapping[str, str], name: str, default: float, lo: float, hi: float) -> float:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(name, f"must be a number, got {raw!r}") from None
    if not math.isfinite(value) or not lo <= value <= hi:
        raise ConfigError(name, f"must be between {lo} and {hi}, got {raw!r}")
    return value


def parse_bool(name: str, raw: str) -> bool:
    text = raw.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ConfigError(name, f"must be true or false, got {raw!r}")


def _choice(environ: Mapping[str, str], name: str, default: str, allowed: tuple[str, ...]) -> str:
    raw = environ.get(name, "").strip().lower() or default
    if raw not in allowed:
        raise ConfigError(name, f"must be one of {', '.join(allowed)}, got {raw!r}")
    return raw


def _read_file(name: str, path_text: str) -> bytes:
    try:
        return Path(path_text).read_bytes()
    except OSError as exc:
        raise ConfigError(name, f"cannot read {path_text!r}: {exc.strerror}") from None


def _api_key(environ: Mapping[str, str]) -> Secret:
    inline = environ.get("OPENROUTER_API_KEY", "").strip()
    path_text = environ.get("OPENROUTER_API_KEY_FILE", "").strip()
    if inline and path_text:
        raise ConfigError(
            "OPENROUTER_API_KEY_FILE", "set either OPENROUTER_API_KEY or OPENROUTER_API_KEY_FILE"
        )
    if path_text:
        key = _read_file("OPENROUTER_API_KEY_FILE", path_text).decode("utf-8", "replace").strip()
        if not key:
            raise ConfigError("OPENROUTER_API_KEY_FILE", f"file {path_text!r} is empty")
        return Secret(key)
    if not inline:
        raise ConfigError(
            "OPENROUTER_API_KEY", "required (or set OPENROUTER_API_KEY_FILE to a file holding it)"
        )
    if any(ch.isspace() for ch in inline):
        raise ConfigError("OPENROUTER_API_KEY", "must not contain whitespace")
    return Secret(inline)


def _base_url(environ: Mapping[str, str]) -> str:
    raw = environ.get("OPENROUTER_BASE_URL", "").strip() or DEFAULT_BASE_URL
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError("OPENROUTER_BASE_URL", f"must be an http(s) URL, got {raw!r}")
    return raw.rstrip("/")


def _tls(environ: Mapping[str, str]) -> tuple[bytes | None, bytes | None]:
    cert_path = environ.get("ROUTER_TLS_CERT_FILE", "").strip()
    key_path = environ.get("ROUTER_TLS_KEY_FILE", "").strip()
    if bool(cert_path) != bool(key_path):
        missing = "ROUTER_TLS_KEY_FILE" if cert_path else "ROUTER_TLS_CERT_FILE"
        raise ConfigError(missing, "TLS needs both ROUTER_TLS_CERT_FILE and ROUTER_TLS_KEY_FILE")
    if not cert_path:
        return None, None
    return _read_file("ROUTER_TLS_CERT_FILE", cert_path), _read_file(
        "ROUTER_TLS_KEY_FILE", key_path
    )


def _header_text(environ: Mapping[str, str], name: str, default: str) -> str:
    value = environ.get(name, "").strip() or default
    if any(ord(ch) < 0x20 or ord(ch) > 0x7E for ch in value):
        raise ConfigError(name, "must be printable ASCII (it is sent as an HTTP header)")
    return value


def _check_otel(environ: Mapping[str, str]) -> None:
    """The standard OTEL_* variables the router interprets; the SDK reads them later."""
    parse_bool("OTEL_SDK_DISABLED", environ.get("OTEL_SDK_DISABLED", ""))
    for name in (
        "OTEL_BSP_SCHEDULE_DELAY",
        "OTEL_BSP_MAX_QUEUE_SIZE",
        "OTEL_METRIC_EXPORT_INTERVAL",
        "OTEL_METRIC_EXPORT_TIMEOUT",
    ):
        _int(environ, name, 1, 1, 1 << 31)
    _choice(environ, "OTEL_METRICS_EXPORTER", "otlp", ("otlp", "none"))
    for name in (
        "OTEL_EXPORTER_OTLP_TIMEOUT",
        "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT",
        "OTEL_EXPORTER_OTLP_METRICS_TIMEOUT",
    ):
        _float(environ, name, 10.0, 0.001, 3600.0)
    for name in (
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
    ):
        raw = environ.get(name, "").strip()
        if raw and (urlsplit(raw).scheme not in ("http", "https") or not urlsplit(raw).hostname):
            raise ConfigError(
                name, f"must be an http(s) URL such as http://127.0.0.1:4317, got {raw!r}"
            )


def load_settings(environ: Mapping[str, str], *, cpu_count: int | None = None) -> Settings:
    """Parse and validate the router's settings; raise ConfigError naming the bad variable."""
    host, port = parse_listen_addr(
        "ROUTER_LISTEN_ADDR", environ.get("ROUTER_LISTEN_ADDR", "").strip() or DEFAULT_LISTEN_ADDR
    )
    cpus = cpu_count if cpu_count is not None else (os.cpu_count() or 1)
    auth_raw = environ.get("ROUTER_AUTH_TOKEN", "").strip()
    if auth_raw and any(ch.isspace() for ch in auth_raw):
        raise ConfigError("ROUTER_AUTH_TOKEN", "must not contain whitespace")
    config_dir_raw = environ.get("ROUTER_CONFIG_DIR", "").strip()
    config_dir = Path(config_dir_raw) if config_dir_raw else None
    if config_dir is not None and not config_dir.is_dir():
        raise ConfigError("ROUTER_CONFIG_DIR", f"not a directory: {config_dir_raw!r}")
    tls_cert, tls_key = _tls(environ)
    _check_otel(environ)
    return Settings(
        api_key=_api_key(environ),
        listen_host=host,
        listen_port=port,
        base_url=_base_url(environ),
        workers=_int(environ, "ROUTER_WORKERS", max(1, cpus), 1, 256),
        max_concurrency=_int(
            environ, "ROUTER_MAX_CONCURRENCY", DEFAULT_MAX_CONCURRENCY, 1, 100_000
        ),
        auth_token=Secret(auth_raw) if auth_raw else None,
        tls_cert=tls_cert,
        tls_key=tls_key,
        max_message_bytes=_int(
            environ, "ROUTER_MAX_MESSAGE_BYTES", DEFAULT_MAX_MESSAGE_BYTES, 1024, 1 << 30
        ),
        max_message_chars=_int(
            environ, "ROUTER_MAX_MESSAGE_CHARS", DEFAULT_MAX_MESSAGE_CHARS, 1, 1 << 30
        ),
        drain_seconds=_float(environ, "ROUTER_DRAIN_SECONDS", DEFAULT_DRAIN_SECONDS, 0.0, 3600.0),
        max_attempts=_int(
            environ, "ROUTER_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS, 1, MAX_ATTEMPTS_CAP
        ),
        config_dir=config_dir,
        capture_content=parse_bool(
            "ROUTER_CAPTURE_CONTENT", environ.get("ROUTER_CAPTURE_CONTENT", "")
        ),
        app_url=_header_text(environ, "ROUTER_APP_URL", DEFAULT_APP_URL),
        app_title=_header_text(environ, "ROUTER_APP_TITLE", DEFAULT_APP_TITLE),
        log_format=_choice(environ, "ROUTER_LOG_FORMAT", "text", ("text", "json")),
        log_level=_choice(
            environ, "ROUTER_LOG_LEVEL", "info", ("debug", "info", "warning", "error")
        ).upper(),
        http_client=_choice(environ, "ROUTER_HTTP_CLIENT", HTTP_CLIENTS[0], HTTP_CLIENTS),
        event_loop=_choice(environ, "ROUTER_EVENT_LOOP", DEFAULT_EVENT_LOOP, EVENT_LOOPS),
    )
