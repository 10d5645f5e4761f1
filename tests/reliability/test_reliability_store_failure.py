"""ClickHouse cannot take the rows: exports answer UNAVAILABLE with RetryInfo, the sender
retries, and nothing acknowledged is lost or stored twice."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest
from google.rpc import error_details_pb2
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2_grpc
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import SpanKind

from telemetry_service.config import load_settings
from telemetry_service.server import TelemetryApp
from tests.reliability.reliability_procs import (
    BIN,
    ProcessGroup,
    base_env,
    free_port,
    record_figures,
)
from tests.reliability.reliability_rpc import (
    error_details,
    export_request,
    query_rows,
    selection_attributes,
)
from tests.reliability.reliability_rpc import selection_span as build_span

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

EXPORTS = 30
SPANS_PER_EXPORT = 2


async def _export_until_acknowledged(
    stub: trace_service_pb2_grpc.TraceServiceStub, request: object
) -> list[error_details_pb2.RetryInfo | None]:
    """Send until OK, waiting what RetryInfo says; returns the refusals' RetryInfo."""
    refusals: list[error_details_pb2.RetryInfo | None] = []
    for _ in range(100):
        try:
            await stub.Export(request, timeout=10.0)
            return refusals
        except grpc.aio.AioRpcError as error:
            details = error_details(error)
            assert details.code == grpc.StatusCode.UNAVAILABLE, details
            assert details.reason == "WRITE_BUFFER_FULL", details
            refusals.append(details.retry_info)
            await asyncio.sleep(details.retry_delay_s if details.retry_info is not None else 0.2)
    raise AssertionError("never acknowledged")


async def test_full_write_buffer_refuses_with_retry_info_and_retries_store_every_span_once(
    group: ProcessGroup, tmp_path: Path
) -> None:
    # Room for 5 exports of 4 rows (2 spans -> otel_traces + seat_selections) per second.
    telemetry = group.telemetry(
        tmp_path / "data",
        env={
            "TELEMETRY_MAX_BATCH_ROWS": "20",
            "TELEMETRY_MAX_BUFFER_ROWS": "20",
            "TELEMETRY_FLUSH_INTERVAL_MS": "1000",
        },
    )
    requests = [
        export_request(build_span(e * SPANS_PER_EXPORT + i) for i in range(SPANS_PER_EXPORT))
        for e in range(EXPORTS)
    ]
    async with grpc.aio.insecure_channel(telemetry.target) as channel:
        stub = trace_service_pb2_grpc.TraceServiceStub(channel)
        refusals = await asyncio.gather(*(_export_until_acknowledged(stub, r) for r in requests))

    every = [info for per_export in refusals for info in per_export]
    assert every, "the burst never filled the buffer"
    assert all(info is not None and info.retry_delay.ToNanoseconds() > 0 for info in every)
    with grpc.insecure_channel(telemetry.target) as channel:
        count, distinct = query_rows(
            channel, "SELECT count(), uniqExact(span_id) FROM seat_selections FINAL"
        )[0]
    record_figures(
        "write-buffer-full",
        exports=EXPORTS,
        refusals=len(every),
        rows_expected=EXPORTS * SPANS_PER_EXPORT,
        rows_found_final=count,
    )
    assert count == distinct == EXPORTS * SPANS_PER_EXPORT


@pytest.fixture
async def in_process_app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[TelemetryApp]:
    # The drift catalog poller reads the process environment (it would call OpenRouter).
    monkeypatch.setenv("TELEMETRY_CATALOG_INTERVAL_S", "0")
    app = TelemetryApp(
        load_settings(
            {
                "TELEMETRY_LISTEN_ADDR": "127.0.0.1:0",
                "CLICKHOUSE_URL": f"chdb://{tmp_path / 'clickhouse'}",
                "TELEMETRY_FLUSH_INTERVAL_MS": "20",
            }
        )
    )
    await app.start()
    yield app
    try:
        await asyncio.wait_for(app.stop(grace_s=1.0), timeout=5.0)
    except TimeoutError:
        # A drain that hangs must not leave the engine open: later tests in this process
        # open their own.
        if app.store is not None:
            await asyncio.to_thread(app.store.close)


async def test_store_outage_during_sdk_export_is_retried_until_every_span_is_stored_once(
    in_process_app: TelemetryApp,
) -> None:
    """The standard OTLP exporter (as the router uses it) honours UNAVAILABLE + RetryInfo."""
    app = in_process_app
    assert app.store is not None and app.writer is not None
    provider = TracerProvider(resource=Resource.create({"service.name": "router-service"}))
    exporter = OTLPSpanExporter(endpoint=f"127.0.0.1:{app.port}", insecure=True, timeout=30)
    provider.add_span_processor(BatchSpanProcessor(exporter, schedule_delay_millis=100))
    tracer = provider.get_tracer("tests.reliability")
    spans = 50
    await app.store.command("DETACH TABLE seat_selections")
    try:
        for index in range(spans):
            with tracer.start_as_current_span(
                "chat openrouter/pareto-code",
                kind=SpanKind.CLIENT,
                attributes=selection_attributes(index),
            ):
                pass
        for _ in range(100):  # until the store has refused at least once (up to 10 s)
            if app.writer.stats.failed_flushes:
                break
            await asyncio.sleep(0.1)
    finally:
        await app.store.command("ATTACH TABLE seat_selections")
    flushed = await asyncio.to_thread(provider.force_flush, 30_000)
    await asyncio.to_thread(provider.shutdown)

    assert app.writer.stats.failed_flushes >= 1
    assert flushed
    count, distinct = (
        await app.store.query("SELECT count(), uniqExact(span_id) FROM seat_selections FINAL")
    ).rows[0]
    assert count == distinct == spans


def test_unreachable_clickhouse_server_fails_fast_without_leaking_the_password(
    tmp_path: Path,
) -> None:
    url = f"http://council:pw-5e1f0c2a@127.0.0.1:{free_port()}/"
    result = subprocess.run(
        [str(BIN / "telemetry-service"), "serve", "--listen", "127.0.0.1:0"],
        env=base_env({"CLICKHOUSE_URL": url, "TELEMETRY_CATALOG_INTERVAL_S": "0"}),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "pw-5e1f0c2a" not in result.stdout + result.stderr


def test_unreachable_clickhouse_server_is_reported_in_one_line_naming_the_variable(
    tmp_path: Path,
) -> None:
    result = subprocess.run(
        [str(BIN / "telemetry-service"), "serve", "--listen", "127.0.0.1:0"],
        env=base_env(
            {
                "CLICKHOUSE_URL": f"http://127.0.0.1:{free_port()}/",
                "TELEMETRY_CATALOG_INTERVAL_S": "0",
            }
        ),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "CLICKHOUSE_URL" in result.stderr
