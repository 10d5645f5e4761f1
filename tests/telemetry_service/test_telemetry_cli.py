"""`telemetry-service query` and `migrate --print` as real processes."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2_grpc

from telemetry_service.query_cli import format_jsonl, format_table
from telemetry_service.server import TelemetryApp
from tests.telemetry_service.conftest import StartApp
from tests.telemetry_service.otlp_builders import (
    export_request,
    router_chat_attributes,
    span,
    unique_span_id,
)
from tests.tls_support import self_signed_cert


async def run_cli(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "telemetry_service",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
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


async def test_query_reaches_a_tls_server_with_the_ca_file(
    start_app: StartApp, tmp_path: Path
) -> None:
    cert, key = self_signed_cert(tmp_path)
    app = await start_app(TELEMETRY_TLS_CERT_FILE=str(cert), TELEMETRY_TLS_KEY_FILE=str(key))
    credentials = grpc.ssl_channel_credentials(root_certificates=cert.read_bytes())
    async with grpc.aio.secure_channel(f"127.0.0.1:{app.port}", credentials) as secure:
        await seed(secure)
    addr = f"127.0.0.1:{app.port}"

    code, out, err = await run_cli("query", "--addr", addr, "--tls", "--ca-file", str(cert), SQL)
    plain_code, _, _ = await run_cli("query", "--addr", addr, "--timeout", "2", SQL)

    assert code == 0, err
    assert out.splitlines()[2].split() == ["balanced", "anthropic/claude-sonnet-4.5", "1"]
    assert plain_code == 1


async def test_query_with_unreadable_ca_file_names_the_flag(tmp_path: Path) -> None:
    missing = tmp_path / "nope.pem"
    code, _, err = await run_cli("query", "--ca-file", str(missing), "SELECT 1")
    assert code == 2
    assert f"--ca-file {missing}" in err


async def test_query_cli_sends_the_otlp_token_when_no_query_token_is_set(start_app) -> None:  # type: ignore[no-untyped-def]
    app = await start_app(TELEMETRY_AUTH_TOKEN="otlp-token")
    base = {k: v for k, v in os.environ.items() if not k.startswith("TELEMETRY_")}
    argv = ("query", "--addr", f"127.0.0.1:{app.port}", "SELECT 1 AS one")

    refused = await run_cli(*argv, env=base)
    answered = await run_cli(*argv, env={**base, "TELEMETRY_AUTH_TOKEN": "otlp-token"})

    assert refused[0] == 1 and "UNAUTHENTICATED" in refused[2]
    assert answered[0] == 0, answered[2]
    assert answered[1].splitlines()[0].split() == ["one"]


async def test_drift_reaches_a_tls_server_with_the_ca_file(
    start_app: StartApp, tmp_path: Path
) -> None:
    cert, key = self_signed_cert(tmp_path)
    app = await start_app(TELEMETRY_TLS_CERT_FILE=str(cert), TELEMETRY_TLS_KEY_FILE=str(key))
    addr = f"127.0.0.1:{app.port}"

    code, out, err = await run_cli("drift", "--addr", addr, "--ca-file", str(cert))
    plain_code, _, plain_err = await run_cli("drift", "--addr", addr, "--timeout", "2")
    missing_code, _, missing_err = await run_cli(
        "drift", "--addr", addr, "--ca-file", str(tmp_path / "nope.pem")
    )

    assert code == 0, err
    assert out.startswith("Frontier drift")
    assert plain_code == 1, plain_err
    assert missing_code == 2 and "--ca-file" in missing_err
