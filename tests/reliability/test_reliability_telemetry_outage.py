"""The telemetry service goes down and comes back while the router keeps serving.

The router runs in this process (a real grpc.aio server on port 0 with its standard OTLP
pipeline) so that its span delivery counters can be read; the telemetry service is a real
process that is killed and restarted on the same port and data dir. A second test looks
for the same counts where an operator would: in ClickHouse, sent by a router process.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import signal
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from llmcouncil.router.v1 import router_service_pb2_grpc as pb_grpc

from openrouter_sim import SimServer
from router_service.config import Secret, Settings
from router_service.server import RouterServer, create_server
from router_service.tracing import DeliveryCounts
from tests.reliability.reliability_procs import (
    API_KEY,
    ProcessGroup,
    SimControl,
    free_port,
    record_figures,
)
from tests.reliability.reliability_rpc import query_rows, seat_request

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

# The router's bound on spans waiting for export (OTEL_BSP_MAX_QUEUE_SIZE).
QUEUE_BOUND = 64
BEFORE, DURING, AFTER = 20, 150, 20
CONCURRENCY = 10


@pytest.fixture
def sim() -> Iterator[SimServer]:
    with SimServer(api_key=API_KEY) as server:
        yield server


async def _route_all(stub: pb_grpc.RouterServiceStub, count: int) -> list[str]:
    """`count` RouteSeat calls, CONCURRENCY at a time; every one must succeed."""
    trace_ids: list[str] = []
    for start in range(0, count, CONCURRENCY):
        batch = [
            stub.RouteSeat(seat_request(session_id=f"outage-{start + i}"), timeout=10.0)
            for i in range(min(CONCURRENCY, count - start))
        ]
        trace_ids += [response.trace_id for response in await asyncio.gather(*batch)]
    return trace_ids


async def _settled(server: RouterServer, total: int, timeout_s: float) -> DeliveryCounts:
    for _ in range(int(timeout_s * 10)):
        counts = server.span_counters.snapshot()
        if counts.exported + counts.failed + counts.dropped >= total:
            return counts
        await asyncio.sleep(0.1)
    return server.span_counters.snapshot()


async def test_router_serves_through_a_telemetry_outage_and_counts_what_it_dropped(
    group: ProcessGroup,
    sim: SimServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    port = free_port()
    data_dir = tmp_path / "telemetry-data"
    telemetry = group.telemetry(data_dir, port=port)
    # The SDK's exporter and batch processor read the process environment themselves.
    for name, value in {
        "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{port}",
        "OTEL_EXPORTER_OTLP_INSECURE": "true",
        "OTEL_BSP_MAX_QUEUE_SIZE": str(QUEUE_BOUND),
        "OTEL_BSP_SCHEDULE_DELAY": "100",
        # Seconds the exporter keeps retrying one batch (back-off 1, 2, 4, 8 s): longer than
        # the outage, so the batch in flight when telemetry died is delivered, not failed.
        "OTEL_EXPORTER_OTLP_TIMEOUT": "30",
    }.items():
        monkeypatch.setenv(name, value)
    settings = dataclasses.replace(
        Settings(api_key=Secret(API_KEY)), listen_port=0, base_url=sim.base_url, workers=1
    )
    server, router_port = await create_server(settings)
    await server.start()
    caplog.set_level(logging.WARNING, logger="router_service.tracing")
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{router_port}") as channel:
            stub = pb_grpc.RouterServiceStub(channel)
            before = await _route_all(stub, BEFORE)
            assert (await _settled(server, BEFORE, 10.0)).exported == BEFORE

            telemetry.kill()
            during = await _route_all(stub, DURING)
            telemetry = group.telemetry(data_dir, port=port)
            # The backlog kept within the bound drains once telemetry is back (the exporter
            # retries with back-off: 1, 2, 4 s) before the next calls need queue room.
            await _settled(server, BEFORE + DURING, 30.0)
            after = await _route_all(stub, AFTER)
    finally:
        await server.stop()
    total = BEFORE + DURING + AFTER
    counts = await _settled(server, total, 20.0)

    with grpc.insecure_channel(telemetry.target) as query_channel:
        stored = {
            row[0]
            for row in query_rows(
                query_channel, "SELECT trace_id FROM seat_selections FINAL", max_rows=10_000
            )
        }
        stored_rows = query_rows(query_channel, "SELECT count() FROM seat_selections FINAL")[0][0]

    record_figures(
        "telemetry-outage",
        requests=total,
        exported=counts.exported,
        failed=counts.failed,
        dropped=counts.dropped,
        rows_found=len(stored),
        during_outage_delivered=len(stored & set(during)),
    )
    # Every request was answered while telemetry was down.
    assert len(before) == BEFORE and len(during) == DURING and len(after) == AFTER
    # Every span is accounted for: delivered, failed after the exporter's retries, or dropped.
    assert counts.exported + counts.failed + counts.dropped == total
    assert counts.dropped >= DURING - QUEUE_BOUND
    assert any("telemetry spans not delivered" in r.getMessage() for r in caplog.records)
    # What was delivered is stored once; before and after the outage nothing is missing.
    assert stored <= set(before + during + after)
    figures = (counts, len(stored), len(stored & set(during)), len(stored & set(after)))
    assert set(before) <= stored and set(after) <= stored, figures
    assert stored_rows == len(stored)
    assert counts.exported <= len(stored) <= counts.exported + counts.failed, figures
    # Spans buffered within the bound during the outage arrived once telemetry was back.
    assert stored & set(during), figures


def test_dropped_span_count_reaches_clickhouse_from_a_router_process(
    group: ProcessGroup, tmp_path: Path
) -> None:
    port = free_port()
    data_dir = tmp_path / "telemetry-data"
    telemetry = group.telemetry(data_dir, port=port)
    sim = SimControl(group.sim())
    router = group.router(
        sim.base_url,
        telemetry=f"http://127.0.0.1:{port}",
        env={
            "OTEL_BSP_MAX_QUEUE_SIZE": "16",
            "OTEL_BSP_SCHEDULE_DELAY": "100",
            "OTEL_METRIC_EXPORT_INTERVAL": "500",
        },
    )
    sim.close()
    telemetry.kill()
    with grpc.insecure_channel(router.target) as channel:
        stub = pb_grpc.RouterServiceStub(channel)
        for i in range(60):
            stub.RouteSeat(seat_request(session_id=f"drop-{i}"), timeout=10.0)
    telemetry = group.telemetry(data_dir, port=port)
    router.signal(signal.SIGTERM)  # the drain makes the final metric export
    assert router.wait(30.0) == 0
    with grpc.insecure_channel(telemetry.target) as channel:
        names = {
            row[0] for row in query_rows(channel, "SELECT DISTINCT MetricName FROM genai_metrics")
        }
        if "gen_ai.client.operation.duration" not in names:
            pytest.fail(f"no router metrics arrived at all: {names}")
        points, dropped = query_rows(
            channel,
            "SELECT count(), max(Value) FROM genai_metrics "
            "WHERE MetricName = 'llm_council.router.spans.undelivered' "
            "AND Attributes['reason'] = 'dropped'",
        )[0]
    assert points > 0, f"no undelivered-span data points among {sorted(names)}"
    assert dropped >= 60 - 16
