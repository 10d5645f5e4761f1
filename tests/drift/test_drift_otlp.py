"""Ground truth through the whole pipe: spans with synthetic timestamps, exported over OTLP by
the OpenTelemetry SDK to the real telemetry server, then the drift RPC."""

from __future__ import annotations

import asyncio
import random
import time

import grpc
from google.protobuf import duration_pb2
from llmcouncil.telemetry.v1 import telemetry_service_pb2 as pb
from llmcouncil.telemetry.v1 import telemetry_service_pb2_grpc as pb_grpc
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import SpanKind

from telemetry_service.server import TelemetryApp
from tests.drift.drift_rows import BANDS, DAY, PARETO
from tests.drift.test_drift_ground_truth import CHANGES, DAYS, REGIMES, shares_on
from tests.drift.test_drift_rpc import stamp

NS = 1_000_000_000


def export_ground_truth(port: int, start: float, seed: int = 11) -> int:
    """Emit one chat span per selection with explicit start/end times; returns the count."""
    exporter = OTLPSpanExporter(endpoint=f"127.0.0.1:{port}", insecure=True)
    provider = TracerProvider(resource=Resource.create({"service.name": "router-service"}))
    provider.add_span_processor(
        BatchSpanProcessor(exporter, max_queue_size=50_000, max_export_batch_size=2048)
    )
    tracer = provider.get_tracer("drift-ground-truth")
    rng = random.Random(seed)
    sent = 0
    try:
        for tier in REGIMES:
            for day in range(DAYS):
                shares = shares_on(tier, day)
                models, weights = list(shares), list(shares.values())
                for _ in range(rng.randint(100, 160)):
                    at = int((start + day * DAY + rng.uniform(0, DAY - 5)) * NS)
                    span = tracer.start_span(
                        f"chat {PARETO}",
                        kind=SpanKind.CLIENT,
                        start_time=at,
                        attributes={
                            "gen_ai.operation.name": "chat",
                            "gen_ai.provider.name": "openrouter",
                            "gen_ai.request.model": PARETO,
                            "gen_ai.response.model": rng.choices(models, weights)[0],
                            "llm_council.tier": tier,
                            "llm_council.session.id": f"session-{sent // 4}",
                            "openrouter.pareto.applied": True,
                            "openrouter.pareto.band": BANDS[tier],
                        },
                    )
                    span.end(end_time=at + 2 * NS)
                    sent += 1
        assert provider.force_flush(timeout_millis=120_000)
    finally:
        provider.shutdown()
    return sent


async def test_changes_sent_as_otlp_spans_are_found_in_their_windows(
    telemetry_app: TelemetryApp,
) -> None:
    start = (time.time() // DAY - DAYS - 1) * DAY
    # The SDK exporter is blocking; the server answers on this loop meanwhile.
    sent = await asyncio.to_thread(export_ground_truth, telemetry_app.port, start)
    message = pb.DriftFilter(since=stamp(start), until=stamp(start + DAYS * DAY))
    message.window.CopyFrom(duration_pb2.Duration(seconds=int(DAY)))
    async with grpc.aio.insecure_channel(f"127.0.0.1:{telemetry_app.port}") as channel:
        stub = pb_grpc.TelemetryQueryServiceStub(channel)
        report = (await stub.GetDriftReport(pb.GetDriftReportRequest(filter=message))).report
    assert report.total_selections == sent
    found = {(e.tier, round((e.window_start.ToSeconds() - start) / DAY)) for e in report.events}
    assert found == CHANGES
