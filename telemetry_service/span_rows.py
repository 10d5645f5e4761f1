"""Pure mapping of an ExportTraceServiceRequest to rows of otel_traces, seat_selections and
seat_reviews, plus the rejected spans (reported back through OTLP partial_success).

A rejected span is stored nowhere; every accepted span lands in otel_traces, and GenAI spans
also in seat_selections / seat_reviews (rules in docs/telemetry-attributes.md).
"""

from __future__ import annotations

import dataclasses

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from telemetry_service.genai_rows import is_selection, review_rows, selection_row
from telemetry_service.otlp_values import AttributeTypeError, attribute_maps, to_string_map

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


def validate_span(span: Span) -> None:
    """Raise SpanRejected when ids or times break the OTLP data model."""
    if len(span.trace_id) != 16 or not any(span.trace_id):
        raise SpanRejected(f"trace_id must be 16 non-zero bytes, got {len(span.trace_id)} bytes")
    if len(span.span_id) != 8 or not any(span.span_id):
        raise SpanRejected(f"span_id must be 8 non-zero bytes, got {len(span.span_id)} bytes")
    if len(span.parent_span_id) not in (0, 8):
        raise SpanRejected(
            f"parent_span_id must be empty or 8 bytes, got {len(span.parent_span_id)} bytes"
        )
    if span.start_time_unix_nano == 0:
        raise SpanRejected("start_time_unix_nano is not set")
    if span.end_time_unix_nano < span.start_time_unix_nano:
        raise SpanRejected("end_time_unix_nano is before start_time_unix_nano")
    for link in span.links:
        if len(link.trace_id) != 16 or len(link.span_id) != 8:
            raise SpanRejected("a link's trace_id/span_id has the wrong length")


def trace_row(
    span: Span,
    span_attributes: dict[str, str],
    service_name: str,
    resource_map: dict[str, str],
    scope_name: str,
    scope_version: str,
    trace_hex: str,
    span_hex: str,
) -> tuple[object, ...]:
    """One otel_traces row; Timestamp and event times in ns (DateTime64(9)), Duration in ns."""
    events = span.events
    links = span.links
    return (
        span.start_time_unix_nano,
        trace_hex,
        span_hex,
        span.parent_span_id.hex(),
        span.trace_state,
        span.name,
        SPAN_KIND_NAMES.get(span.kind, "Unspecified"),
        service_name,
        resource_map,
        scope_name,
        scope_version,
        span_attributes,
        span.end_time_unix_nano - span.start_time_unix_nano,
        STATUS_CODE_NAMES.get(span.status.code, "Unset"),
        span.status.message,
        [e.time_unix_nano for e in events],
        [e.name for e in events],
        [to_string_map(e.attributes) for e in events],
        [link.trace_id.hex() for link in links],
        [link.span_id.hex() for link in links],
        [link.trace_state for link in links],
        [to_string_map(link.attributes) for link in links],
    )


def rows_from_request(request: ExportTraceServiceRequest) -> SpanBatch:
    """Map every span of the request; malformed spans are counted, the good ones kept."""
    batch = SpanBatch()
    for resource_spans in request.resource_spans:
        resource_map = to_string_map(resource_spans.resource.attributes)
        service_name = resource_map.get("service.name", "")
        for scope_spans in resource_spans.scope_spans:
            scope_name = scope_spans.scope.name
            scope_version = scope_spans.scope.version
            for span in scope_spans.spans:
                try:
                    validate_span(span)
                    trace_hex = span.trace_id.hex()
                    span_hex = span.span_id.hex()
                    attrs, attr_strings = attribute_maps(span.attributes)
                    selection = (
                        selection_row(span, attrs, service_name, trace_hex, span_hex)
                        if is_selection(attrs)
                        else None
                    )
                    reviews = review_rows(span, attrs, trace_hex, span_hex) if span.events else []
                except (SpanRejected, AttributeTypeError) as exc:
                    batch.reject(f"span {span.span_id.hex() or '?'}: {exc}")
                    continue
                batch.traces.append(
                    trace_row(
                        span,
                        attr_strings,
                        service_name,
                        resource_map,
                        scope_name,
                        scope_version,
                        trace_hex,
                        span_hex,
                    )
                )
                if selection is not None:
                    batch.selections.append(selection)
                batch.reviews.extend(reviews)
    return batch
