"""`telemetry-service query` and `migrate --print` as real processes."""

from __future__ import annotations

import asyncio
import json
import sys

import grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2_grpc

from telemetry_service.query_cli import format_jsonl, format_table
from telemetry_service.server import TelemetryApp
from tests.telemetry_service.otlp_builders import (
    export_request,
    router_chat_attributes,
    span,
    unique_span_id,
)


async def run_cli(*args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "telemetry_service",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def seed(channel: grpc.aio.Channel) -> None:
    stub = trace_service_pb2_grpc.TraceServiceStub(channel)
    spans = [
        span(router_chat_attributes(), span_id=unique_span_id(1)),
        span(
            router_chat_attributes(**{"llm_council.tier": "high"}),
            span_id=unique_span_id(2),
        ),
    ]
    await stub.Export(export_request(spans))


SQL = "SELECT tier, resolved_model, count() FROM seat_selections GROUP BY ALL ORDER BY tier"


async def test_query_prints_a_table(app: TelemetryApp, channel: grpc.aio.Channel) -> None:
    await seed(channel)
    code, out, err = await run_cli("query", "--addr", f"127.0.0.1:{app.port}", SQL)

    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].split() == ["tier", "resolved_model", "count()"]
    assert lines[2].split() == ["balanced", "anthropic/claude-sonnet-4.5", "1"]
    assert lines[3].split() == ["high", "anthropic/claude-sonnet-4.5", "1"]
    assert "2 row(s)" in err


async def test_query_prints_json_lines(app: TelemetryApp, channel: grpc.aio.Channel) -> None:
    await seed(channel)
    code, out, _ = await run_cli(
        "query", "--addr", f"127.0.0.1:{app.port}", "--format", "jsonl", SQL
    )

    assert code == 0
    assert [json.loads(line) for line in out.splitlines()] == [
        {"tier": "balanced", "resolved_model": "anthropic/claude-sonnet-4.5", "count()": 1},
        {"tier": "high", "resolved_model": "anthropic/claude-sonnet-4.5", "count()": 1},
    ]


async def test_query_refusal_exits_nonzero_with_the_message(app: TelemetryApp) -> None:
    code, out, err = await run_cli(
        "query", "--addr", f"127.0.0.1:{app.port}", "DELETE FROM seat_selections WHERE 1"
    )
    assert code == 1
    assert out == ""
    assert "PERMISSION_DENIED" in err


async def test_query_without_a_server_exits_nonzero() -> None:
    code, _, err = await run_cli("query", "--addr", "127.0.0.1:1", "--timeout", "2", "SELECT 1")
    assert code == 1
    assert "UNAVAILABLE" in err


async def test_migrate_print_cluster_prints_cluster_ddl() -> None:
    code, out, _ = await run_cli("migrate", "--print", "--cluster", "c1")
    assert code == 0
    assert "-- 0002_seat_selections" in out
    assert "CREATE TABLE IF NOT EXISTS seat_selections_local ON CLUSTER `c1`" in out
    assert "ENGINE = Distributed('c1', currentDatabase(), 'seat_selections_local'" in out


def test_table_format_aligns_columns_and_shows_null() -> None:
    text = format_table(["a", "long_name"], [[1, None], ["xyz", [1, 2]]])
    assert text.splitlines() == ["a    long_name", "---  ---------", "1    NULL", "xyz  [1, 2]"]


def test_jsonl_format_is_one_object_per_row() -> None:
    assert format_jsonl(["a", "b"], [[1, "x"], [None, [2]]]).splitlines() == [
        '{"a": 1, "b": "x"}',
        '{"a": null, "b": [2]}',
    ]
