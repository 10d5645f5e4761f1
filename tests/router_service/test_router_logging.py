"""Log output: JSON lines on request, secrets redacted even if a record carries one."""

from __future__ import annotations

import json
import logging

from router_service.runner import JsonFormatter, RedactingFilter, listening_message
from tests.router_service.router_helpers import make_settings


def record(message: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord("router_service", logging.WARNING, __file__, 1, message, args, None)


def test_json_formatter_writes_one_object_per_line() -> None:
    line = JsonFormatter().format(record("hello %s", "world"))
    entry = json.loads(line)
    assert entry["message"] == "hello world"
    assert entry["level"] == "WARNING" and entry["logger"] == "router_service"
    assert entry["time"].endswith("Z")


def test_redacting_filter_replaces_secrets_in_formatted_messages() -> None:
    item = record("upstream said %s", "bad key sk-abc-123")
    assert RedactingFilter(["sk-abc-123"]).filter(item)
    assert item.getMessage() == "upstream said bad key [REDACTED]"


def test_listening_message_names_port_workers_and_upstream() -> None:
    settings = make_settings("http://127.0.0.1:9/api/v1", workers=3)
    assert listening_message(settings, 4242) == (
        "router-service listening on 127.0.0.1:4242 (workers=3, upstream=127.0.0.1, simulator)"
    )
    real = make_settings("https://openrouter.ai/api/v1")
    assert listening_message(real, 1).endswith("(workers=1, upstream=openrouter.ai)")
