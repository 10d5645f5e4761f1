"""Log output: JSON lines on request, secrets redacted even if a record carries one."""

from __future__ import annotations

import dataclasses
import json
import logging

import pytest

from router_service.access_log import LOG_FIELDS_ATTR
from router_service.runner import (
    FieldsTextFormatter,
    JsonFormatter,
    RedactingFilter,
    listening_message,
    record_fields,
)
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
        "router-service listening on 127.0.0.1:4242 "
        "(workers=3, upstream=127.0.0.1, simulator, http=aiohttp, loop=asyncio)"
    )
    real = dataclasses.replace(
        make_settings("https://openrouter.ai/api/v1"), http_client="httpx", event_loop="uvloop"
    )
    assert listening_message(real, 1).endswith(
        "(workers=1, upstream=openrouter.ai, http=httpx, loop=uvloop)"
    )


def record_with_fields(fields: dict[str, object]) -> logging.LogRecord:
    item = record("RouteSeat %s", "OK")
    setattr(item, LOG_FIELDS_ATTR, fields)
    return item


def test_json_formatter_puts_fields_at_the_top_level_without_overriding_core_keys() -> None:
    entry = json.loads(
        JsonFormatter().format(
            record_with_fields({"trace_id": "ab" * 16, "attempts": 2, "message": "forged"})
        )
    )
    assert entry["trace_id"] == "ab" * 16 and entry["attempts"] == 2
    assert entry["message"] == "RouteSeat OK"


@pytest.mark.parametrize(
    "value, shown",
    [
        pytest.param("openrouter/pareto-code", "openrouter/pareto-code", id="plain"),
        pytest.param("", '""', id="empty"),
        pytest.param("a b", '"a b"', id="space"),
        pytest.param('x" trace_id=1\nfake', '"x\\" trace_id=1\\nfake"', id="injection"),
    ],
)
def test_text_formatter_appends_fields_quoting_what_could_forge_a_field(
    value: str, shown: str
) -> None:
    line = FieldsTextFormatter().format(record_with_fields({"model": value, "attempts": 1}))
    assert line.endswith(f"RouteSeat OK model={shown} attempts=1")
    assert "\n" not in line


def test_redacting_filter_also_redacts_structured_fields() -> None:
    item = record_with_fields({"requested_model": "x-sk-abc-123", "attempts": 1})
    assert RedactingFilter(["sk-abc-123"]).filter(item)
    assert record_fields(item) == {"requested_model": "x-[REDACTED]", "attempts": 1}
