"""GenAI client metrics and span-delivery counters, in memory and over real OTLP/gRPC."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Mapping
from typing import Any

import grpc
import pytest
from opentelemetry.proto.collector.metrics.v1 import (
    metrics_service_pb2,
    metrics_service_pb2_grpc,
)
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.resources import Resource

from openrouter_sim import Fault, SimServer
from router_service.config import ConfigError, load_settings
from router_service.metrics import (
    DURATION_BUCKETS_S,
    TOKEN_BUCKETS,
    RouterMetrics,
    create_metrics_pipeline,
)
from router_service.server import create_server
from router_service.tracing import SpanDeliveryCounters
from tests.router_service.router_helpers import (
    API_KEY,
    RouterHarness,
    make_settings,
    seat_request,
)

TIMEOUT_S = 15.0
DURATION = "gen_ai.client.operation.duration"
TOKENS = "gen_ai.client.token.usage"


def points(reader: InMemoryMetricReader, name: str) -> list[Any]:
    data = reader.get_metrics_data()
    assert data is not None
    return [
        point
        for resource in data.resource_metrics
        for scope in resource.scope_metrics
        for metric in scope.metrics
        if metric.name == name
        for point in metric.data.data_points
    ]


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_route_seat_records_duration_and_token_usage_with_semconv_buckets(
    router: RouterHarness, sim: SimServer, metric_reader: InMemoryMetricReader
) -> None:
    response = await router.stub.RouteSeat(seat_request(), timeout=TIMEOUT_S)
    (duration,) = points(metric_reader, DURATION)
    assert dict(duration.attributes) == {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openrouter",
        "gen_ai.request.model": "openrouter/pareto-code",
        "gen_ai.response.model": response.resolved_model,
        "llm_council.tier": "balanced",
    }
    assert duration.count == 1 and duration.sum > 0
    assert tuple(duration.explicit_bounds) == DURATION_BUCKETS_S
    tokens = {p.attributes["gen_ai.token.type"]: p for p in points(metric_reader, TOKENS)}
    assert tokens["input"].sum == response.usage.input_tokens > 0
    assert tokens["output"].sum == response.usage.output_tokens > 0
    assert tuple(tokens["input"].explicit_bounds) == TOKEN_BUCKETS


async def test_failed_call_records_error_type_and_no_tokens(
    router: RouterHarness, sim: SimServer, metric_reader: InMemoryMetricReader
) -> None:
    sim.inject(Fault(kind="http_error", status=503, count=-1))
    with pytest.raises(grpc.aio.AioRpcError):
        await router.stub.RouteSeat(seat_request(), timeout=TIMEOUT_S)
    (duration,) = points(metric_reader, DURATION)
    assert duration.attributes["error.type"] == "UPSTREAM_UNAVAILABLE"
    assert "gen_ai.response.model" not in duration.attributes
    assert points(metric_reader, TOKENS) == []


async def test_invalid_request_keeps_the_raw_model_string_out_of_the_series(
    router: RouterHarness, metric_reader: InMemoryMetricReader
) -> None:
    with pytest.raises(grpc.aio.AioRpcError):
        await router.stub.RouteSeat(
            seat_request(model="no/such-model-7c2e", messages=[]), timeout=TIMEOUT_S
        )
    (duration,) = points(metric_reader, DURATION)
    assert duration.attributes["error.type"] == "INVALID_REQUEST"
    assert "gen_ai.request.model" not in duration.attributes


async def test_stream_seat_is_measured_like_route_seat(
    router: RouterHarness, metric_reader: InMemoryMetricReader
) -> None:
    from llmcouncil.router.v1 import router_service_pb2 as pb

    call = router.stub.StreamSeat(pb.StreamSeatRequest(seat=seat_request()), timeout=TIMEOUT_S)
    summary = [piece async for piece in call][-1].summary
    (duration,) = points(metric_reader, DURATION)
    assert duration.attributes["gen_ai.response.model"] == summary.resolved_model
    assert {p.attributes["gen_ai.token.type"] for p in points(metric_reader, TOKENS)} == {
        "input",
        "output",
    }


def test_span_delivery_counters_are_observable_counters() -> None:
    reader = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[reader])
    counters = SpanDeliveryCounters()
    RouterMetrics(provider, counters, version="test")
    counters.add_exported(5)
    counters.add_failed(2)
    counters.add_dropped(1)
    try:
        undelivered = {
            p.attributes["reason"]: p.value
            for p in points(reader, "llm_council.router.spans.undelivered")
        }
        (exported,) = points(reader, "llm_council.router.spans.exported")
    finally:
        provider.shutdown()
    assert undelivered == {"failed": 2, "dropped": 1}
    assert exported.value == 5


def test_a_failure_while_recording_is_logged_and_never_raised(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from router_service.access_log import CallOutcome

    reader = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[reader])
    metrics = RouterMetrics(provider, SpanDeliveryCounters(), version="test")

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("aggregation bug")

    # No real instrument fails on demand; stand one in for the recording path.
    metrics._duration.record = broken  # type: ignore[method-assign]
    try:
        metrics.record_call(CallOutcome(method="RouteSeat", latency_s=0.1))
    finally:
        provider.shutdown()
    assert "recording metrics for RouteSeat failed" in caplog.text


async def test_server_counts_spans_it_could_not_deliver_as_a_metric(
    sim: SimServer, metric_reader: InMemoryMetricReader, meter_provider: MeterProvider
) -> None:
    environ = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{closed_port()}",
        "OTEL_EXPORTER_OTLP_TIMEOUT": "1",
        "OTEL_BSP_SCHEDULE_DELAY": "100",
    }
    server, port = await create_server(
        make_settings(sim.base_url), environ=environ, meter_provider=meter_provider
    )
    await server.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            from llmcouncil.router.v1 import router_service_pb2_grpc as pb_grpc

            await pb_grpc.RouterServiceStub(channel).RouteSeat(seat_request(), timeout=TIMEOUT_S)
    finally:
        await server.stop(1.0)
    undelivered = {
        p.attributes["reason"]: p.value
        for p in points(metric_reader, "llm_council.router.spans.undelivered")
    }
    assert undelivered["failed"] + undelivered["dropped"] == 1


class MetricsCollector(metrics_service_pb2_grpc.MetricsServiceServicer):
    """A minimal OTLP/gRPC metrics receiver: remembers the metric names it was sent."""

    def __init__(self) -> None:
        self.names: list[str] = []

    async def Export(
        self, request: metrics_service_pb2.ExportMetricsServiceRequest, context: Any
    ) -> metrics_service_pb2.ExportMetricsServiceResponse:
        for resource in request.resource_metrics:
            for scope in resource.scope_metrics:
                self.names.extend(metric.name for metric in scope.metrics)
        return metrics_service_pb2.ExportMetricsServiceResponse()


@pytest.fixture
async def collector() -> AsyncIterator[tuple[MetricsCollector, int]]:
    server = grpc.aio.server()
    receiver = MetricsCollector()
    metrics_service_pb2_grpc.add_MetricsServiceServicer_to_server(receiver, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    yield receiver, port
    await server.stop(0)


async def route_once(sim: SimServer, environ: Mapping[str, str]) -> None:
    server, port = await create_server(make_settings(sim.base_url), environ=environ)
    await server.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            from llmcouncil.router.v1 import router_service_pb2_grpc as pb_grpc

            response = await pb_grpc.RouterServiceStub(channel).RouteSeat(
                seat_request(), timeout=TIMEOUT_S
            )
            assert response.resolved_model
    finally:
        await server.stop(1.0)


async def test_drain_exports_the_metrics_over_otlp_even_before_the_interval(
    sim: SimServer, collector: tuple[MetricsCollector, int]
) -> None:
    receiver, port = collector
    environ = {
        "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT": f"http://127.0.0.1:{port}",
        # Spans go nowhere; only the metric pipeline is under test.
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": f"http://127.0.0.1:{closed_port()}",
        "OTEL_EXPORTER_OTLP_TIMEOUT": "1",
        "OTEL_METRIC_EXPORT_INTERVAL": "3600000",
    }
    await route_once(sim, environ)
    assert {DURATION, TOKENS, "llm_council.router.spans.undelivered"} <= set(receiver.names)


async def test_periodic_export_follows_otel_metric_export_interval(
    sim: SimServer, collector: tuple[MetricsCollector, int]
) -> None:
    receiver, port = collector
    environ = {
        "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT": f"http://127.0.0.1:{port}",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": f"http://127.0.0.1:{closed_port()}",
        "OTEL_EXPORTER_OTLP_TIMEOUT": "1",
        "OTEL_METRIC_EXPORT_INTERVAL": "50",
    }
    server, router_port = await create_server(make_settings(sim.base_url), environ=environ)
    await server.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{router_port}") as channel:
            from llmcouncil.router.v1 import router_service_pb2_grpc as pb_grpc

            await pb_grpc.RouterServiceStub(channel).RouteSeat(seat_request(), timeout=TIMEOUT_S)
        # Bounded wait for a periodic export while the server still runs.
        for _ in range(400):
            if DURATION in receiver.names:
                break
            await asyncio.sleep(0.025)
        assert DURATION in receiver.names
    finally:
        await server.stop(1.0)


async def test_requests_succeed_when_the_metrics_collector_is_down(sim: SimServer) -> None:
    environ = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{closed_port()}",
        "OTEL_EXPORTER_OTLP_TIMEOUT": "1",
        "OTEL_METRIC_EXPORT_INTERVAL": "50",
    }
    await route_once(sim, environ)


@pytest.mark.parametrize(
    "environ",
    [
        pytest.param({"OTEL_METRICS_EXPORTER": "none"}, id="exporter-none"),
        pytest.param({"OTEL_SDK_DISABLED": "true"}, id="sdk-disabled"),
    ],
)
def test_metrics_can_be_turned_off(environ: dict[str, str]) -> None:
    pipeline = create_metrics_pipeline(environ, resource=Resource.create({}))
    assert pipeline.provider is None


@pytest.mark.parametrize(
    "name, value",
    [
        pytest.param("OTEL_METRICS_EXPORTER", "prometheus", id="exporter"),
        pytest.param("OTEL_METRIC_EXPORT_INTERVAL", "soon", id="interval"),
        pytest.param("OTEL_METRIC_EXPORT_TIMEOUT", "0", id="timeout"),
        pytest.param("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "localhost:4317", id="endpoint"),
    ],
)
def test_bad_metric_settings_name_the_variable(name: str, value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({"OPENROUTER_API_KEY": API_KEY, name: value})
    assert caught.value.name == name
