"""gRPC helpers for the reliability tests: requests, error details, queries, OTLP exports."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import grpc
from google.protobuf import duration_pb2
from llmcouncil.router.v1 import router_service_pb2 as pb
from llmcouncil.telemetry.v1 import telemetry_service_pb2 as tpb
from llmcouncil.telemetry.v1 import telemetry_service_pb2_grpc as tpb_grpc
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from telemetry_service.query_cli import decode_rows
from tests.router_service.router_helpers import Details, decode_error
from tests.telemetry_service.otlp_builders import key_values

PARETO = "openrouter/pareto-code"
NAMED_MODEL = "anthropic/claude-opus-4.7"
TRACE_EXPORT = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"


def seat_request(
    model: str = PARETO, tier: int = pb.TIER_BALANCED, **fields: Any
) -> pb.RouteSeatRequest:
    fields.setdefault("messages", [pb.ChatMessage(role="user", content="hello council")])
    return pb.RouteSeatRequest(model=model, tier=tier, **fields)  # type: ignore[arg-type]


@dataclasses.dataclass
class ErrorDetails(Details):
    """The google.rpc details of a failed call, with its whole trailing metadata as bytes."""

    raw_trailers: bytes

    @property
    def reason(self) -> str:
        return self.error_info.reason if self.error_info is not None else ""

    @property
    def metadata(self) -> dict[str, str]:
        return dict(self.error_info.metadata) if self.error_info is not None else {}


def error_details(error: grpc.RpcError) -> ErrorDetails:
    """Decode the grpc-status-details-bin trailer of a failed call (sync or aio)."""
    call: Any = error
    trailers = list(call.trailing_metadata() or ())
    flat = b"".join(
        (k.encode() + (v if isinstance(v, bytes) else str(v).encode())) for k, v in trailers
    )
    decoded = decode_error(call)
    return ErrorDetails(
        decoded.code,
        decoded.message,
        decoded.error_info,
        decoded.retry_info,
        decoded.bad_request,
        raw_trailers=flat,
    )


def query_rows(
    channel: grpc.Channel,
    sql: str,
    *,
    max_rows: int = 0,
    timeout_s: float | None = None,
    metadata: Sequence[tuple[str, str]] = (),
    deadline_s: float = 60.0,
) -> list[list[Any]]:
    """ExecuteQuery through the running service; rows as Python values.

    `timeout_s` is the request's server-side time limit; `deadline_s` the caller's gRPC deadline.
    """
    request = tpb.ExecuteQueryRequest(sql=sql, max_rows=max_rows)
    if timeout_s is not None:
        request.timeout.CopyFrom(duration_pb2.Duration(seconds=int(timeout_s)))
    response = tpb_grpc.TelemetryQueryServiceStub(channel).ExecuteQuery(
        request, timeout=deadline_s, metadata=list(metadata)
    )
    return decode_rows(response)


def scalar(channel: grpc.Channel, sql: str, **kwargs: Any) -> Any:
    return query_rows(channel, sql, **kwargs)[0][0]


# --- OTLP -------------------------------------------------------------------------------


def selection_attributes(index: int, **overrides: Any) -> dict[str, Any]:
    """A successful Pareto seat call as the router reports it (docs/telemetry-attributes.md)."""
    attributes: dict[str, Any] = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openrouter",
        "gen_ai.request.model": PARETO,
        "gen_ai.response.model": NAMED_MODEL,
        "gen_ai.response.id": f"gen-rel-{index}",
        "gen_ai.response.finish_reasons": ["stop"],
        "gen_ai.usage.input_tokens": 100 + index % 50,
        "gen_ai.usage.output_tokens": 20,
        "server.address": "openrouter.ai",
        "server.port": 443,
        "llm_council.tier": "balanced",
        "llm_council.session.id": f"sess-{index // 10}",
        "llm_council.seat.id": f"seat-{index % 5}",
        "llm_council.attempts": 1,
        "llm_council.streaming": False,
        "openrouter.provider": "Anthropic",
        "openrouter.cost_usd": 0.0012,
        "openrouter.pareto.applied": True,
        "openrouter.pareto.min_coding_score": 0.5,
        "openrouter.pareto.band": "medium",
    }
    attributes.update(overrides)
    return attributes


def span_id_of(index: int) -> bytes:
    return (0x5E1F_0000_0000_0000 + index + 1).to_bytes(8, "big")


def trace_id_of(index: int) -> bytes:
    return (0x0AF7_6519_16CD_43DD_8448_EB21_0000_0000 + index + 1).to_bytes(16, "big")


def selection_span(
    index: int, attributes: Mapping[str, Any] | None = None, *, start_ns: int | None = None
) -> Span:
    """A selection span with ids derived from `index`; it starts now (ns) unless told, and
    lasts 250 ms (recent times: the raw-span table has a 30-day TTL)."""
    start = time.time_ns() if start_ns is None else start_ns
    return Span(
        trace_id=trace_id_of(index),
        span_id=span_id_of(index),
        name=f"chat {PARETO}",
        kind=Span.SPAN_KIND_CLIENT,
        start_time_unix_nano=start,
        end_time_unix_nano=start + 250_000_000,
        attributes=key_values(
            attributes if attributes is not None else selection_attributes(index)
        ),
    )


def export_request(spans: Iterable[Span]) -> ExportTraceServiceRequest:
    request = ExportTraceServiceRequest()
    resource_spans = request.resource_spans.add()
    resource_spans.resource.attributes.extend(key_values({"service.name": "reliability-test"}))
    scope_spans = resource_spans.scope_spans.add()
    scope_spans.scope.name = "tests.reliability"
    scope_spans.spans.extend(spans)
    return request


def identity(data: bytes) -> bytes:
    return data
