"""The OTLP receiver over a real gRPC channel into the embedded engine."""

from __future__ import annotations

import asyncio

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2, logs_service_pb2_grpc
from opentelemetry.proto.collector.metrics.v1 import (
    metrics_service_pb2,
    metrics_service_pb2_grpc,
)
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2_grpc
from opentelemetry.proto.common.v1.common_pb2 import AnyValue

from telemetry_service.server import TelemetryApp
from tests.telemetry_service.otlp_builders import (
    START_NS,
    export_request,
    key_values,
    router_chat_attributes,
    span,
    unique_span_id,
)
from tests.telemetry_service.rpc_details import details_of

pytestmark = pytest.mark.filterwarnings("error")


def count(app: TelemetryApp, sql: str) -> int:
    assert app.store is not None
    return int(app.store.query_sync(sql).rows[0][0])


async def test_export_is_acknowledged_after_rows_are_stored(
    app: TelemetryApp, channel: grpc.aio.Channel
) -> None:
    stub = trace_service_pb2_grpc.TraceServiceStub(channel)
    response = await stub.Export(export_request([span(router_chat_attributes())]))

    assert not response.HasField("partial_success")
    # No wait: the acknowledgement means the rows are already in the store.
    assert count(app, "SELECT count() FROM otel_traces") == 1
    assert count(app, "SELECT count() FROM seat_selections") == 1


async def test_malformed_span_is_reported_in_partial_success(
    app: TelemetryApp, channel: grpc.aio.Channel
) -> None:
    bad = span(router_chat_attributes(**{"gen_ai.usage.input_tokens": "many"}))
    good = span(router_chat_attributes(), span_id=unique_span_id(5))
    response = await trace_service_pb2_grpc.TraceServiceStub(channel).Export(
        export_request([bad, good])
    )

    assert response.partial_success.rejected_spans == 1
    assert "gen_ai.usage.input_tokens" in response.partial_success.error_message
    assert count(app, "SELECT count() FROM seat_selections") == 1


async def test_gzip_compressed_export_is_accepted(app: TelemetryApp) -> None:
    async with grpc.aio.insecure_channel(
        f"127.0.0.1:{app.port}", compression=grpc.Compression.Gzip
    ) as gz:
        await trace_service_pb2_grpc.TraceServiceStub(gz).Export(
            export_request([span(router_chat_attributes())])
        )
    assert count(app, "SELECT count() FROM seat_selections") == 1


async def test_message_over_64_mib_gets_resource_exhausted(
    app: TelemetryApp, channel: grpc.aio.Channel
) -> None:
    huge = span({"blob": "x" * (65 * 1024 * 1024)})
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await trace_service_pb2_grpc.TraceServiceStub(channel).Export(export_request([huge]))
    assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED


async def test_store_failure_answers_unavailable_with_retry_info_then_recovers(
    app: TelemetryApp, channel: grpc.aio.Channel
) -> None:
    assert app.store is not None
    stub = trace_service_pb2_grpc.TraceServiceStub(channel)
    await app.store.command("DETACH TABLE seat_selections")
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.Export(export_request([span(router_chat_attributes())]))
    await app.store.command("ATTACH TABLE seat_selections")

    assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
    info, retry = details_of(caught.value, error_details_pb2.ErrorInfo, error_details_pb2.RetryInfo)
    assert info.reason == "STORE_UNAVAILABLE"
    assert retry.retry_delay.ToNanoseconds() > 0
    # The trailer opentelemetry-python's exporter reads its backoff from.
    trailers = dict(caught.value.trailing_metadata() or ())
    assert error_details_pb2.RetryInfo.FromString(trailers["google.rpc.retryinfo-bin"]) == retry
    # The sender's retry of the same export is stored once under FINAL.
    await stub.Export(export_request([span(router_chat_attributes())]))
    assert count(app, "SELECT count() FROM seat_selections FINAL") == 1


async def test_same_export_twice_leaves_one_selection_under_final(
    app: TelemetryApp, channel: grpc.aio.Channel
) -> None:
    stub = trace_service_pb2_grpc.TraceServiceStub(channel)
    request = export_request([span(router_chat_attributes())])
    await stub.Export(request)
    await stub.Export(request)

    assert count(app, "SELECT count() FROM seat_selections") == 2
    assert count(app, "SELECT count() FROM seat_selections FINAL") == 1


async def test_concurrent_exports_share_inserts(
    app: TelemetryApp, channel: grpc.aio.Channel
) -> None:
    assert app.writer is not None
    stub = trace_service_pb2_grpc.TraceServiceStub(channel)
    before = app.writer.stats.flushes
    requests = [
        export_request([span(router_chat_attributes(), span_id=unique_span_id(i))])
        for i in range(40)
    ]
    await asyncio.gather(*(stub.Export(r) for r in requests))

    assert count(app, "SELECT count() FROM seat_selections") == 40
    assert app.writer.stats.flushes - before < 40


async def test_bearer_token_is_required_when_configured(start_app) -> None:  # type: ignore[no-untyped-def]
    app = await start_app(TELEMETRY_AUTH_TOKEN="s3cret")
    request = export_request([span(router_chat_attributes())])
    async with grpc.aio.insecure_channel(f"127.0.0.1:{app.port}") as channel:
        stub = trace_service_pb2_grpc.TraceServiceStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.Export(request)
        await stub.Export(request, metadata=[("authorization", "Bearer s3cret")])

    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert count(app, "SELECT count() FROM seat_selections") == 1


async def test_logs_are_stored_in_otel_logs(app: TelemetryApp, channel: grpc.aio.Channel) -> None:
    request = logs_service_pb2.ExportLogsServiceRequest()
    resource_logs = request.resource_logs.add()
    resource_logs.resource.attributes.extend(key_values({"service.name": "router-service"}))
    record = resource_logs.scope_logs.add().log_records.add(
        time_unix_nano=START_NS, severity_text="WARN", severity_number=13
    )
    record.body.CopyFrom(AnyValue(string_value="upstream slow"))
    await logs_service_pb2_grpc.LogsServiceStub(channel).Export(request)

    assert app.store is not None
    rows = app.store.query_sync("SELECT ServiceName, SeverityText, Body FROM otel_logs").rows
    assert rows == [("router-service", "WARN", "upstream slow")]


async def test_genai_metrics_are_stored_and_others_dropped(
    app: TelemetryApp, channel: grpc.aio.Channel
) -> None:
    request = metrics_service_pb2.ExportMetricsServiceRequest()
    scope = request.resource_metrics.add().scope_metrics.add()
    usage = scope.metrics.add(name="gen_ai.client.token.usage", unit="{token}")
    usage.histogram.data_points.add(time_unix_nano=START_NS, count=2, sum=150.0)
    other = scope.metrics.add(name="http.server.duration")
    other.gauge.data_points.add(time_unix_nano=START_NS, as_double=1.0)
    await metrics_service_pb2_grpc.MetricsServiceStub(channel).Export(request)

    assert app.store is not None
    rows = app.store.query_sync("SELECT MetricName, MetricType, Count, Sum FROM genai_metrics").rows
    assert rows == [("gen_ai.client.token.usage", "histogram", 2, 150.0)]


async def test_retried_export_leaves_one_raw_span_under_final(
    app: TelemetryApp, channel: grpc.aio.Channel
) -> None:
    assert app.store is not None
    stub = trace_service_pb2_grpc.TraceServiceStub(channel)
    request = export_request([span(router_chat_attributes())])
    # otel_traces is written, seat_selections is not: the sender retries the whole export.
    await app.store.command("DETACH TABLE seat_selections")
    with pytest.raises(grpc.aio.AioRpcError):
        await stub.Export(request)
    await app.store.command("ATTACH TABLE seat_selections")
    await stub.Export(request)

    assert count(app, "SELECT count() FROM otel_traces") == 2
    assert count(app, "SELECT count() FROM otel_traces FINAL") == 1


async def test_store_failure_makes_otlp_health_not_serving_until_a_write_succeeds(
    app: TelemetryApp, channel: grpc.aio.Channel
) -> None:
    assert app.store is not None
    health = health_pb2_grpc.HealthStub(channel)
    trace_service = "opentelemetry.proto.collector.trace.v1.TraceService"
    query_service = "llmcouncil.telemetry.v1.TelemetryQueryService"

    async def status(service: str) -> int:
        response = await health.Check(health_pb2.HealthCheckRequest(service=service))
        return int(response.status)

    stub = trace_service_pb2_grpc.TraceServiceStub(channel)
    await app.store.command("DETACH TABLE seat_selections")
    with pytest.raises(grpc.aio.AioRpcError):
        await stub.Export(export_request([span(router_chat_attributes())]))
    down = [await status(s) for s in ("", trace_service, query_service)]
    await app.store.command("ATTACH TABLE seat_selections")
    still_down = await status(trace_service)
    await stub.Export(export_request([span(router_chat_attributes())]))
    up = [await status(s) for s in ("", trace_service, query_service)]

    serving = health_pb2.HealthCheckResponse.SERVING
    not_serving = health_pb2.HealthCheckResponse.NOT_SERVING
    assert down == [not_serving, not_serving, serving]
    assert still_down == not_serving
    assert up == [serving, serving, serving]


@pytest.mark.parametrize(
    "service",
    [
        pytest.param("opentelemetry.proto.collector.trace.v1.TraceService", id="traces"),
        pytest.param("opentelemetry.proto.collector.logs.v1.LogsService", id="logs"),
        pytest.param("opentelemetry.proto.collector.metrics.v1.MetricsService", id="metrics"),
    ],
)
async def test_undecodable_export_is_invalid_argument_and_the_service_keeps_serving(
    app: TelemetryApp, channel: grpc.aio.Channel, service: str
) -> None:
    raw = channel.unary_unary(
        f"/{service}/Export", request_serializer=None, response_deserializer=None
    )
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await raw(b"\xff\xff\xff\xff not protobuf")
    good = export_request([span(router_chat_attributes())])
    await trace_service_pb2_grpc.TraceServiceStub(channel).Export(good)

    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    (info,) = details_of(caught.value, error_details_pb2.ErrorInfo)
    assert info.reason == "OTLP_UNDECODABLE"
    assert count(app, "SELECT count() FROM seat_selections") == 1


async def test_undecodable_export_without_the_token_is_unauthenticated(start_app) -> None:  # type: ignore[no-untyped-def]
    app = await start_app(TELEMETRY_AUTH_TOKEN="s3cret")
    async with grpc.aio.insecure_channel(f"127.0.0.1:{app.port}") as channel:
        raw = channel.unary_unary(
            "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
            request_serializer=None,
            response_deserializer=None,
        )
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await raw(b"\xff\xff garbage")
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
