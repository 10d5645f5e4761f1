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
from collections.abc import Callable, Sequence
from pathlib import Path

from router_service.config import Settings
from router_service.server import create_server
from router_service.tiers import TierTable

log = logging.getLogger("router_service")

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry)


class RedactingFilter(logging.Filter):
    """Last line of defence: a secret that reaches a log record is replaced."""

    def __init__(self, secrets: Sequence[str]) -> None:
        super().__init__()
        self._secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = message
        for secret in self._secrets:
            redacted = redacted.replace(secret, "[REDACTED]")
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def configure_logging(settings: Settings) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if settings.log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s[%(process)d]: %(message)s")
        )
    secrets = [settings.api_key.reveal()]
    if settings.auth_token is not None:
        secrets.append(settings.auth_token.reveal())
    handler.addFilter(RedactingFilter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level)
    # httpx logs every request at INFO; keep that for DEBUG runs only.
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
        f"(workers={settings.workers}, upstream={host}{simulator})"
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
