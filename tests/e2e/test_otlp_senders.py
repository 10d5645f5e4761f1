"""Other OTLP senders against a real telemetry-service process."""

from __future__ import annotations

import grpc
import pytest
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2_grpc
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import SpanKind

from tests.e2e.conftest import ServiceProcess, query
from tests.telemetry_service.otlp_builders import (
    export_request,
    router_chat_attributes,
    span,
    unique_span_id,
)

pytestmark = pytest.mark.e2e


def test_genai_span_from_a_plain_otel_sdk_app_is_a_selection(telemetry: ServiceProcess) -> None:
    provider = TracerProvider(resource=Resource.create({"service.name": "someone-elses-app"}))
    provider.add_span_processor(
        BatchSpanProcessor(OTLPSpanExporter(endpoint=telemetry.address, insecure=True))
    )
    tracer = provider.get_tracer("app")
    with tracer.start_as_current_span("chat openai/gpt-4o-mini", kind=SpanKind.CLIENT) as current:
        current.set_attribute("gen_ai.operation.name", "chat")
        current.set_attribute("gen_ai.system", "openrouter")
        current.set_attribute("server.address", "openrouter.ai")
        current.set_attribute("gen_ai.request.model", "openai/gpt-4o-mini")
        current.set_attribute("gen_ai.response.model", "openai/gpt-4o-mini-2024-07-18")
        current.set_attribute("gen_ai.usage.input_tokens", 11)
        current.set_attribute("gen_ai.usage.output_tokens", 5)
    with tracer.start_as_current_span("db query"):
        pass
    assert provider.force_flush(timeout_millis=20_000)
    provider.shutdown()

    rows = query(
        telemetry,
        "SELECT service_name, tier, requested_model, resolved_model, input_tokens, "
        "output_tokens, attempts FROM seat_selections",
    ).rows
    raw = query(telemetry, "SELECT SpanName FROM otel_traces ORDER BY SpanName").rows
    assert rows == [
        ["someone-elses-app", "", "openai/gpt-4o-mini", "openai/gpt-4o-mini-2024-07-18", 11, 5, 1]
    ]
    assert raw == [["chat openai/gpt-4o-mini"], ["db query"]]


def test_malformed_span_gets_partial_success_and_the_good_one_is_stored(
    telemetry: ServiceProcess,
) -> None:
    bad = span(router_chat_attributes(), span_id=b"\x01\x02")
    good = span(router_chat_attributes(), span_id=unique_span_id(1))
    with grpc.insecure_channel(telemetry.address) as channel:
        response = trace_service_pb2_grpc.TraceServiceStub(channel).Export(
            export_request([bad, good]), timeout=30
        )

    assert response.partial_success.rejected_spans == 1
    assert "span_id" in response.partial_success.error_message
    assert query(telemetry, "SELECT count() FROM seat_selections").rows == [[1]]


def test_a_retried_export_leaves_one_row_under_final(telemetry: ServiceProcess) -> None:
    # A sender retries when it did not see the acknowledgement; the rows arrive twice.
    request = export_request([span(router_chat_attributes(), span_id=unique_span_id(2))])
    with grpc.insecure_channel(telemetry.address) as channel:
        stub = trace_service_pb2_grpc.TraceServiceStub(channel)
        stub.Export(request, timeout=30)
        stub.Export(request, timeout=30)

    assert query(telemetry, "SELECT count() FROM seat_selections FINAL").rows == [[1]]
