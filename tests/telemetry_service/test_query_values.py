"""Result values -> google.protobuf.Value, and the query guard's pure checks."""

from __future__ import annotations

import datetime
import decimal
import json
import logging

import pytest
from google.protobuf import json_format

from telemetry_service.logging_setup import JsonFormatter
from telemetry_service.query_guard import check_statement
from telemetry_service.query_values import to_value


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(None, None, id="null"),
        pytest.param(True, True, id="bool"),
        pytest.param(2**53, 2**53, id="safe-int"),
        pytest.param(2**64 - 1, str(2**64 - 1), id="uint64-as-string"),
        pytest.param(0.25, 0.25, id="float"),
        pytest.param(float("nan"), "nan", id="nan-as-string"),
        pytest.param(
            datetime.datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=datetime.UTC),
            "2026-01-02T03:04:05.123456+00:00",
            id="datetime-iso",
        ),
        pytest.param(datetime.date(2026, 1, 2), "2026-01-02", id="date-iso"),
        pytest.param(decimal.Decimal("1.10"), "1.10", id="decimal-as-text"),
        pytest.param(["a", 1], ["a", 1], id="array"),
        pytest.param({"k": "v"}, {"k": "v"}, id="map"),
        pytest.param(b"\xffok", "\ufffdok", id="bytes-utf8"),
    ],
)
def test_values_follow_the_proto_rules(value: object, expected: object) -> None:
    assert json_format.MessageToDict(to_value(value)) == expected


@pytest.mark.parametrize(
    "sql",
    [
        pytest.param("SELECT * FROM system.settings", id="settings-table"),
        pytest.param("WITH x AS (SELECT 1) SELECT * FROM x", id="with"),
        pytest.param("(SELECT 1)", id="parenthesised"),
        pytest.param("SELECT 1 -- ; DROP TABLE t", id="comment-semicolon"),
        pytest.param("SHOW TABLES", id="show"),
        pytest.param("EXPLAIN SELECT 1", id="explain"),
    ],
)
def test_guard_allows_reads(sql: str) -> None:
    assert check_statement(sql) is None


@pytest.mark.parametrize(
    "sql",
    [
        pytest.param("SELECT 1;;", id="empty-second-statement"),
        pytest.param("select * from URL('http://x', 'CSV')", id="url-any-case"),
        pytest.param("SELECT * FROM remote('h', db.t)", id="remote"),
        pytest.param("SET readonly = 0", id="set"),
        pytest.param("SYSTEM FLUSH LOGS", id="system"),
        pytest.param("OPTIMIZE TABLE seat_selections FINAL", id="optimize"),
        pytest.param("SELECT `file`('x') FROM t", id="quoted-table-function"),
    ],
)
def test_guard_refuses_non_reads(sql: str) -> None:
    refusal = check_statement(sql)
    assert refusal is not None and not refusal.invalid


def test_json_log_lines_are_one_object_each() -> None:
    record = logging.LogRecord("t", logging.WARNING, __file__, 1, "store %s", ("down",), None)
    entry = json.loads(JsonFormatter().format(record))
    assert (entry["level"], entry["logger"], entry["message"]) == ("WARNING", "t", "store down")
