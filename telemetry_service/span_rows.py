"""Pure mapping of an ExportTraceServiceRequest to rows of otel_traces, seat_selections and
seat_reviews, plus the rejected spans (reported back through OTLP partial_success).

A rejected span is stored nowhere; every accepted span lands in otel_traces, and GenAI spans
also in seat_selections / seat_reviews (rules in docs/telemetry-attributes.md).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import NamedTuple

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from telemetry_service.genai_rows import is_selection, review_rows, selection_row
from telemetry_service.otlp_values import AttributeTypeError, attribute_values, to_string_map

OTEL_TRACES_COLUMNS: tuple[str, ...] = (
    "Timestamp",
    "TraceId",
    "SpanId",
    "ParentSpanId",
    "TraceState",
    "SpanName",
    "SpanKind",
    "ServiceName",
    "ResourceAttributes",
    "ScopeName",
    "ScopeVersion",
    "SpanAttributes",
    "Duration",
    "StatusCode",
    "StatusMessage",
    "Events.Timestamp",
    "Events.Name",
    "Events.Attributes",
    "Links.TraceId",
    "Links.SpanId",
    "Links.TraceState",
    "Links.Attributes",
)

# The names the OTel Collector's ClickHouse exporter writes, so dashboards built for it work.
SPAN_KIND_NAMES = {
    Span.SPAN_KIND_UNSPECIFIED: "Unspecified",
    Span.SPAN_KIND_INTERNAL: "Internal",
    Span.SPAN_KIND_SERVER: "Server",
    Span.SPAN_KIND_CLIENT: "Client",
    Span.SPAN_KIND_PRODUCER: "Producer",
    Span.SPAN_KIND_CONSUMER: "Consumer",
}
STATUS_CODE_NAMES = {
    Status.STATUS_CODE_UNSET: "Unset",
    Status.STATUS_CODE_OK: "Ok",
    Status.STATUS_CODE_ERROR: "Error",
}
# Only the first few reasons go into partial_success.error_message, to bound its size.
MAX_REPORTED_ERRORS = 5


class SpanRejected(ValueError):
    """The span breaks the OTLP data model or the attribute contract."""


@dataclasses.dataclass
class SpanBatch:
    """Rows per table (tuples in the *_COLUMNS order) and the rejects of one export."""

    traces: list[tuple[object, ...]] = dataclasses.field(default_factory=list)
    selections: list[tuple[object, ...]] = dataclasses.field(default_factory=list)
    reviews: list[tuple[object, ...]] = dataclasses.field(default_factory=list)
    rejected: int = 0
    errors: list[str] = dataclasses.field(default_factory=list)

    @property
    def row_count(self) -> int:
        return len(self.traces) + len(self.selections) + len(self.reviews)

    def reject(self, message: str) -> None:
        self.rejected += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append(message)

    def error_message(self) -> str:
        if not self.rejected:
            return ""
        more = self.rejected - len(self.errors)
        suffix = f"; and {more} more" if more > 0 else ""
        return f"rejected {self.rejected} span(s): " + "; ".join(self.errors) + suffix


def check_ids_and_times(
    trace_id: bytes,
    span_id: bytes,
    parent_span_id: bytes,
    start_ns: int,
    end_ns: int,
    links: Sequence[Span.Link],
) -> None:
    """Raise SpanRejected when ids or times break the OTLP data model (fields passed in as
    already read: each protobuf read costs, see otlp_values)."""
    if len(trace_id) != 16 or not any(trace_id):
        raise SpanRejected(f"trace_id must be 16 non-zero bytes, got {len(trace_id)} bytes")
    if len(span_id) != 8 or not any(span_id):
        raise SpanRejected(f"span_id must be 8 non-zero bytes, got {len(span_id)} bytes")
    if len(parent_span_id) not in (0, 8):
        raise SpanRejected(
            f"parent_span_id must be empty or 8 bytes, got {len(parent_span_id)} bytes"
        )
    if start_ns == 0:
        raise SpanRejected("start_time_unix_nano is not set")
    if end_ns < start_ns:
        raise SpanRejected("end_time_unix_nano is before start_time_unix_nano")
    for link in links:
        if len(link.trace_id) != 16 or len(link.span_id) != 8:
            raise SpanRejected("a link's trace_id/span_id has the wrong length")


@dataclasses.dataclass(frozen=True)
class SpanScope:
    """What every span of one ScopeSpans shares: resource and instrumentation scope."""

    service_name: str
    resource_map: dict[str, str]
    scope_name: str
    scope_version: str


class SpanRows(NamedTuple):
    """The rows one accepted span maps to (a NamedTuple: built once per span, and a frozen
    dataclass's __init__ costs about a microsecond more)."""

    trace: tuple[object, ...]
    selection: tuple[object, ...] | None
    reviews: list[tuple[object, ...]]


def event_columns(events: Sequence[Span.Event]) -> tuple[list[int], list[str], list[object]]:
    """Events.Timestamp (ns), Events.Name, Events.Attributes of one span."""
    return (
        [e.time_unix_nano for e in events],
        [e.name for e in events],
        [to_string_map(e.attributes) for e in events],
    )


def link_columns(
    links: Sequence[Span.Link],
) -> tuple[list[str], list[str], list[str], list[object]]:
    """Links.TraceId, Links.SpanId (hex), Links.TraceState, Links.Attributes of one span."""
    return (
        [link.trace_id.hex() for link in links],
        [link.span_id.hex() for link in links],
        [link.trace_state for link in links],
        [to_string_map(link.attributes) for link in links],
    )


def map_span(span: Span, scope: SpanScope) -> SpanRows:
    """The otel_traces row, the seat_selections row (GenAI spans) and the seat_reviews rows
    of one span; raises SpanRejected / AttributeTypeError for a malformed span.

    Timestamp and event times in ns (DateTime64(9)), Duration in ns. Every protobuf field is
    read once.
    """
    trace_id = span.trace_id
    span_id = span.span_id
    parent_span_id = span.parent_span_id
    start_ns = span.start_time_unix_nano
    end_ns = span.end_time_unix_nano
    links = span.links
    check_ids_and_times(trace_id, span_id, parent_span_id, start_ns, end_ns, links)
    values, strings = attribute_values(span.attributes)
    trace_hex = trace_id.hex()
    span_hex = span_id.hex()
    status = span.status
    status_code = status.code
    selection = (
        selection_row(
            values, scope.service_name, trace_hex, span_hex, start_ns, end_ns, status_code
        )
        if is_selection(values)
        else None
    )
    events = span.events
    reviews = review_rows(events, values, trace_hex, span_hex, start_ns) if events else []
    trace = (
        start_ns,
        trace_hex,
        span_hex,
        parent_span_id.hex(),
        span.trace_state,
        span.name,
        SPAN_KIND_NAMES.get(span.kind, "Unspecified"),
        scope.service_name,
        scope.resource_map,
        scope.scope_name,
        scope.scope_version,
        strings,
        end_ns - start_ns,
        STATUS_CODE_NAMES.get(status_code, "Unset"),
        status.message,
        *(event_columns(events) if events else ([], [], [])),
        *(link_columns(links) if links else ([], [], [], [])),
    )
    return SpanRows(trace, selection, reviews)


def rows_from_request(request: ExportTraceServiceRequest) -> SpanBatch:
    """Map every span of the request; malformed spans are counted, the good ones kept."""
    batch = SpanBatch()
    traces = batch.traces
    selections = batch.selections
    for resource_spans in request.resource_spans:
        resource_map = to_string_map(resource_spans.resource.attributes)
        service_name = resource_map.get("service.name", "")
        for scope_spans in resource_spans.scope_spans:
            instrumentation = scope_spans.scope
            scope = SpanScope(
                service_name, resource_map, instrumentation.name, instrumentation.version
            )
            for span in scope_spans.spans:
                try:
                    rows = map_span(span, scope)
                except (SpanRejected, AttributeTypeError) as exc:
                    batch.reject(f"span {span.span_id.hex() or '?'}: {exc}")
                    continue
                traces.append(rows.trace)
                if rows.selection is not None:
                    selections.append(rows.selection)
                if rows.reviews:
                    batch.reviews.extend(rows.reviews)
    return batch
