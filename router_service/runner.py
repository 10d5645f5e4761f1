"""Running one server process until SIGTERM/SIGINT, and the process's log setup."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from router_service.access_log import LOG_FIELDS_ATTR
from router_service.config import Settings
from router_service.event_loop import loop_name
from router_service.server import create_server
from router_service.tiers import TierTable

log = logging.getLogger("router_service")

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s[%(process)d]: %(message)s"


def record_fields(record: logging.LogRecord) -> Mapping[str, Any]:
    """Structured fields a record carries (`extra={"log_fields": {...}}`), else none."""
    fields = getattr(record, LOG_FIELDS_ATTR, None)
    return fields if isinstance(fields, Mapping) else {}


def _logfmt_value(value: Any) -> str:
    text = str(value)
    if isinstance(value, str) and (
        not text or not text.isprintable() or any(ch in text for ch in ' "=\\')
    ):
        # Quoted and escaped: a caller-supplied string cannot forge another field or line.
        return json.dumps(text)
    return text


class FieldsTextFormatter(logging.Formatter):
    """The plain text format, with a record's structured fields appended as key=value."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = record_fields(record)
        if not fields:
            return line
        pairs = " ".join(f"{key}={_logfmt_value(value)}" for key, value in fields.items())
        head, newline, rest = line.partition("\n")
        return f"{head} {pairs}{newline}{rest}"


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, and the
    record's structured fields (trace_id, span_id, request_id, ...) at the top level."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record_fields(record).items():
            entry.setdefault(key, value)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry)


class RedactingFilter(logging.Filter):
    """Last line of defence: a secret that reaches a log record is replaced."""

    def __init__(self, secrets: Sequence[str]) -> None:
        super().__init__()
        self._secrets = [s for s in secrets if s]

    def _redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "[REDACTED]")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = self._redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        fields = record_fields(record)
        if any(isinstance(v, str) and self._redact(v) != v for v in fields.values()):
            setattr(
                record,
                LOG_FIELDS_ATTR,
                {k: self._redact(v) if isinstance(v, str) else v for k, v in fields.items()},
            )
        return True


def log_handler(settings: Settings, stream: TextIO) -> logging.Handler:
    """The process's log handler: text or JSON lines on `stream`, secrets redacted."""
    handler = logging.StreamHandler(stream)
    if settings.log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(FieldsTextFormatter())
    secrets = [settings.api_key.reveal()]
    if settings.auth_token is not None:
        secrets.append(settings.auth_token.reveal())
    handler.addFilter(RedactingFilter(secrets))
    return handler


def configure_logging(settings: Settings) -> None:
    root = logging.getLogger()
    root.handlers[:] = [log_handler(settings, sys.stderr)]
    root.setLevel(settings.log_level)
    # httpx logs every request at INFO; keep that for DEBUG runs only (aiohttp's client
    # logs nothing per request).
    logging.getLogger("httpx").setLevel(
        logging.DEBUG if settings.log_level == "DEBUG" else logging.WARNING
    )


def listening_message(settings: Settings, port: int) -> str:
    host = settings.upstream_host
    simulator = ", simulator" if host in LOOPBACK_HOSTS else ""
    shown_host = (
        f"[{settings.listen_host}]" if ":" in settings.listen_host else settings.listen_host
    )
    return (
        f"router-service listening on {shown_host}:{port} "
        f"(workers={settings.workers}, upstream={host}{simulator}, "
        f"http={settings.http_client}, loop={settings.event_loop})"
    )


def write_port_file(path: Path, port: int) -> None:
    """Write atomically so a reader never sees a half-written number."""
    directory = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.")
    with os.fdopen(fd, "w") as handle:
        handle.write(f"{port}\n")
    os.replace(tmp, path)


async def serve(
    settings: Settings,
    *,
    tiers: TierTable,
    port_file: Path | None = None,
    reuse_port: bool = False,
    on_ready: Callable[[int], None] | None = None,
    announce: bool = True,
) -> None:
    """Serve until SIGTERM or SIGINT, then drain (health NOT_SERVING, finish in-flight calls)."""
    server, port = await create_server(settings, tiers=tiers, reuse_port=reuse_port)
    await server.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    log.debug("serving on the %s event loop", loop_name(loop))
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        if announce:
            log.info("%s", listening_message(settings, port))
        if port_file is not None:
            write_port_file(port_file, port)
        if on_ready is not None:
            on_ready(port)
        await stop.wait()
        log.info("draining (up to %.1f s for in-flight calls)", settings.drain_seconds)
        await server.stop()
        log.info("stopped")
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
        await server.stop(0)
