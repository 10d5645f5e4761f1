"""The access log: one INFO line per RouteSeat / StreamSeat / RecordSeatReview call.

The servicer fills a `CallOutcome` while a call runs; `access_fields` turns it into the
line's fields (pure). Fields name the call and its outcome only: never message content,
never a key. They travel on the log record as `record.log_fields`: the JSON log format
puts them at the top level of the object, the text format appends them as key=value.
`trace_id` (also as `request_id`) joins a line to its span and to the ClickHouse rows
(seat_selections.trace_id); callers get the same id as `x-request-id` metadata.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import grpc
from opentelemetry import trace as trace_api

ACCESS_LOGGER = "router_service.access"
# LogRecord attribute holding structured fields (set through `extra=`).
LOG_FIELDS_ATTR = "log_fields"

LogFields = dict[str, str | int | float]


@dataclass
class CallOutcome:
    """What one RouterService call asked for and how it ended (no content, no secrets)."""

    method: str
    requested_model: str = ""
    tier: str = ""
    # True once the request passed validation: requested_model is then a known model id,
    # safe as a metric attribute (a raw caller string is not).
    validated: bool = False
    resolved_model: str = ""
    band: str = ""
    # UNKNOWN until the call ends (a fault inside the router ends INTERNAL).
    code: grpc.StatusCode = grpc.StatusCode.UNKNOWN
    reason: str = ""
    attempts: int = 0
    latency_s: float = 0.0
    trace_id: str = ""
    span_id: str = ""
    input_tokens: int | None = None
    output_tokens: int | None = None
    finished: bool = False

    def set_ids(self, span: trace_api.Span) -> None:
        self.trace_id, self.span_id = span_ids(span)


def span_ids(span: trace_api.Span) -> tuple[str, str]:
    """(trace_id, span_id) as lowercase hex, or empty strings when tracing is off."""
    context = span.get_span_context()
    if not context.is_valid:
        return "", ""
    return format(context.trace_id, "032x"), format(context.span_id, "016x")


def correlation_fields(trace_id: str, span_id: str) -> LogFields:
    """The fields that join a log line to its span; request_id is the trace id."""
    return {"trace_id": trace_id, "span_id": span_id, "request_id": trace_id}


def access_fields(outcome: CallOutcome) -> LogFields:
    fields: LogFields = {
        "rpc_method": outcome.method,
        "requested_model": outcome.requested_model,
        "tier": outcome.tier,
        "resolved_model": outcome.resolved_model,
        "pareto_band": outcome.band,
        "grpc_code": outcome.code.name,
        "error_reason": outcome.reason,
        "attempts": outcome.attempts,
        "latency_ms": round(outcome.latency_s * 1000.0, 3),
    }
    fields.update(correlation_fields(outcome.trace_id, outcome.span_id))
    return fields


def log_call(logger: logging.Logger, outcome: CallOutcome) -> None:
    logger.info(
        "%s %s",
        outcome.method,
        outcome.code.name,
        extra={LOG_FIELDS_ATTR: access_fields(outcome)},
    )
