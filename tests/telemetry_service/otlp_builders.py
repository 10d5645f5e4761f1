"""Hand-built OTLP requests for the telemetry tests (no SDK: every field is explicit)."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, ArrayValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

# An hour ago (whole second + 123456 us), in ns: recent enough for the tables' TTLs, which
# drop expired rows as they are inserted. Latency 250 ms.
START_NS = (int(time.time()) - 3600) * 1_000_000_000 + 123_456_000
END_NS = START_NS + 250_000_000
TRACE_ID = bytes.fromhex("0af7651916cd43dd8448eb211c80319c")
SPAN_ID = bytes.fromhex("b7ad6b7169203331")


def any_value(value: Any) -> AnyValue:
    if isinstance(value, bool):
        return AnyValue(bool_value=value)
    if isinstance(value, int):
        return AnyValue(int_value=value)
    if isinstance(value, float):
        return AnyValue(double_value=value)
    if isinstance(value, bytes):
        return AnyValue(bytes_value=value)
    if isinstance(value, list | tuple):
        return AnyValue(array_value=ArrayValue(values=[any_value(v) for v in value]))
    return AnyValue(string_value=str(value))


def key_values(attributes: Mapping[str, Any]) -> list[KeyValue]:
    return [KeyValue(key=k, value=any_value(v)) for k, v in attributes.items()]


def router_chat_attributes(**overrides: Any) -> dict[str, Any]:
    """A successful pareto-code seat call, as the router reports it."""
    attributes: dict[str, Any] = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openrouter",
        "gen_ai.request.model": "openrouter/pareto-code",
        "gen_ai.response.model": "anthropic/claude-sonnet-4.5",
        "gen_ai.response.id": "gen-123",
        "gen_ai.response.finish_reasons": ["stop"],
        "gen_ai.conversation.id": "sess-1",
        "gen_ai.usage.input_tokens": 120,
        "gen_ai.usage.output_tokens": 45,
        "gen_ai.usage.cache_read.input_tokens": 7,
        "gen_ai.usage.reasoning.output_tokens": 3,
        "server.address": "openrouter.ai",
        "server.port": 443,
        "llm_council.tier": "balanced",
        "llm_council.session.id": "sess-1",
        "llm_council.seat.id": "seat-2",
        "llm_council.pool.models": ["openai/gpt-5", "anthropic/claude-sonnet-4.5"],
        "llm_council.duplicate_of_pool": True,
        "llm_council.attempts": 2,
        "llm_council.streaming": True,
        "llm_council.time_to_first_token_ms": 81.5,
        "openrouter.provider": "Anthropic",
        "openrouter.cost_usd": 0.00123,
        "openrouter.pareto.applied": True,
        "openrouter.pareto.min_coding_score": 0.5,
        "openrouter.pareto.band": "medium",
        "openrouter.pareto.nitro": False,
        "openrouter.routing.strategy": "pareto",
        "openrouter.routing.attempt": 1,
    }
    attributes.update(overrides)
    return attributes


def span(
    attributes: Mapping[str, Any] | None = None,
    *,
    trace_id: bytes = TRACE_ID,
    span_id: bytes = SPAN_ID,
    parent_span_id: bytes = b"",
    name: str = "chat openrouter/pareto-code",
    kind: int = Span.SPAN_KIND_CLIENT,
    start_ns: int = START_NS,
    end_ns: int = END_NS,
    status_code: int = Status.STATUS_CODE_UNSET,
    status_message: str = "",
    events: Sequence[tuple[str, int, Mapping[str, Any]]] = (),
) -> Span:
    built = Span(
        trace_id=trace_id,
        span_id=span_id,
        parent_span_id=parent_span_id,
        name=name,
        kind=kind,  # type: ignore[arg-type]
        start_time_unix_nano=start_ns,
        end_time_unix_nano=end_ns,
        attributes=key_values(attributes or {}),
        status=Status(code=status_code, message=status_message),  # type: ignore[arg-type]
    )
    for event_name, time_ns, event_attributes in events:
        built.events.add(
            name=event_name, time_unix_nano=time_ns, attributes=key_values(event_attributes)
        )
    return built


def export_request(
    spans: Sequence[Span],
    service_name: str = "router-service",
    scope: tuple[str, str] = ("router_service", "0.1.0"),
) -> ExportTraceServiceRequest:
    request = ExportTraceServiceRequest()
    resource_spans = request.resource_spans.add()
    resource_spans.resource.attributes.extend(
        key_values({"service.name": service_name, "service.version": "0.1.0"})
    )
    scope_spans = resource_spans.scope_spans.add()
    scope_spans.scope.name, scope_spans.scope.version = scope
    scope_spans.spans.extend(spans)
    return request


def unique_span_id(index: int) -> bytes:
    return (index + 1).to_bytes(8, "big")
