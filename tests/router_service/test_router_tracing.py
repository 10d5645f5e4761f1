"""Telemetry never fails a request; undelivered spans are counted and reported."""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Sequence

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from openrouter_sim import SimServer
from router_service.server import create_server
from router_service.tracing import (
    CountingBatchSpanProcessor,
    CountingSpanExporter,
    SpanDeliveryCounters,
    create_tracing,
)
from tests.router_service.router_helpers import make_settings, seat_request

TIMEOUT_S = 15.0


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_requests_succeed_and_failures_are_counted_when_telemetry_is_down(
    sim: SimServer, caplog: pytest.LogCaptureFixture
) -> None:
    import grpc
    from llmcouncil.router.v1 import router_service_pb2_grpc as pb_grpc

    # The real OTLP/gRPC exporter, pointed at a loopback port where nothing listens.
    environ = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{closed_port()}",
        "OTEL_EXPORTER_OTLP_TIMEOUT": "1",
        "OTEL_BSP_SCHEDULE_DELAY": "100",
    }
    caplog.set_level(logging.WARNING, logger="router_service.tracing")
    server, port = await create_server(make_settings(sim.base_url), environ=environ)
    await server.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = pb_grpc.RouterServiceStub(channel)
            for _ in range(3):
                response = await stub.RouteSeat(seat_request(), timeout=TIMEOUT_S)
                assert response.resolved_model
                assert len(response.trace_id) == 32
    finally:
        await server.stop(1.0)
    counts = server.span_counters.snapshot()
    assert counts.exported == 0
    assert counts.failed + counts.dropped == 3
    assert "telemetry spans not delivered" in caplog.text


async def test_sdk_disabled_gives_no_trace_id_and_still_serves(
    sim: SimServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    import grpc
    from llmcouncil.router.v1 import router_service_pb2_grpc as pb_grpc

    server, port = await create_server(
        make_settings(sim.base_url), environ={"OTEL_SDK_DISABLED": "true"}
    )
    await server.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            response = await pb_grpc.RouterServiceStub(channel).RouteSeat(
                seat_request(), timeout=TIMEOUT_S
            )
    finally:
        await server.stop(1.0)
    assert response.resolved_model and response.trace_id == ""
    assert server.tracing.provider is None


class BlockingExporter(SpanExporter):
    """Holds every export until released: a telemetry service that hangs."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.exported: list[ReadableSpan] = []

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        self.release.wait(10.0)
        self.exported.extend(spans)
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        self.release.set()


def test_spans_beyond_the_queue_bound_are_dropped_and_counted() -> None:
    counters = SpanDeliveryCounters()
    inner = BlockingExporter()
    processor = CountingBatchSpanProcessor(
        CountingSpanExporter(inner, counters), counters, max_queue_size=2, schedule_delay_millis=10
    )
    provider = TracerProvider()
    provider.add_span_processor(processor)
    tracer = provider.get_tracer("test")
    for index in range(5):
        tracer.start_span(f"span-{index}").end()
    assert counters.snapshot().dropped == 3
    inner.release.set()
    provider.force_flush()
    provider.shutdown()
    counts = counters.snapshot()
    assert (counts.exported, counts.failed, counts.dropped) == (2, 0, 3)
    assert len(inner.exported) == 2


class FailingExporter(SpanExporter):
    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        raise ConnectionError("telemetry down")

    def shutdown(self) -> None:
        return None


def test_counting_exporter_counts_a_raising_exporter_as_failed() -> None:
    counters = SpanDeliveryCounters()
    exporter = CountingSpanExporter(FailingExporter(), counters)
    provider = TracerProvider()
    span = provider.get_tracer("t").start_span("x")
    span.end()
    assert exporter.export([span]) is SpanExportResult.FAILURE  # type: ignore[list-item]
    assert counters.snapshot().failed == 1


def test_undelivered_warning_is_rate_limited(caplog: pytest.LogCaptureFixture) -> None:
    now = [1000.0]
    counters = SpanDeliveryCounters(warn_interval_s=30.0, clock=lambda: now[0])
    caplog.set_level(logging.WARNING, logger="router_service.tracing")
    counters.add_failed(4)
    counters.add_dropped(1)
    counters.add_failed(1)
    assert len(caplog.records) == 1
    now[0] += 31.0
    counters.add_dropped(2)
    assert len(caplog.records) == 2
    assert "3 dropped" in caplog.records[-1].getMessage()
    assert "5 failed" in caplog.records[-1].getMessage()


def test_create_tracing_sets_the_resource() -> None:
    tracing = create_tracing({}, service_version="1.2.3", exporter=FailingExporter())
    assert tracing.provider is not None
    attributes = tracing.provider.resource.attributes
    assert attributes["service.name"] == "router-service"
    assert attributes["service.version"] == "1.2.3"
    assert attributes["service.instance.id"]
    tracing.provider.shutdown()


async def test_spans_reach_an_otlp_receiver_with_the_resource(sim: SimServer) -> None:
    import grpc
    from llmcouncil.router.v1 import router_service_pb2_grpc as pb_grpc
    from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc

    received: list[trace_service_pb2.ExportTraceServiceRequest] = []

    class Receiver(trace_service_pb2_grpc.TraceServiceServicer):
        async def Export(
            self, request: trace_service_pb2.ExportTraceServiceRequest, context: object
        ) -> trace_service_pb2.ExportTraceServiceResponse:
            received.append(request)
            return trace_service_pb2.ExportTraceServiceResponse()

    receiver = grpc.aio.server()
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(Receiver(), receiver)
    otlp_port = receiver.add_insecure_port("127.0.0.1:0")
    await receiver.start()
    environ = {"OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{otlp_port}"}
    server, port = await create_server(make_settings(sim.base_url), environ=environ)
    await server.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            response = await pb_grpc.RouterServiceStub(channel).RouteSeat(
                seat_request(), timeout=TIMEOUT_S
            )
    finally:
        await server.stop(1.0)  # drains and flushes the batch
        await receiver.stop(0)
    spans = [
        (resource_spans.resource, span)
        for request in received
        for resource_spans in request.resource_spans
        for scope in resource_spans.scope_spans
        for span in scope.spans
    ]
    ((resource, span),) = spans
    assert span.trace_id.hex() == response.trace_id
    resource_attrs = {a.key: a.value.string_value for a in resource.attributes}
    assert resource_attrs["service.name"] == "router-service"
    assert server.span_counters.snapshot().exported == 1
