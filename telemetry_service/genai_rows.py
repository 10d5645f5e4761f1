"""Pure mapping of GenAI spans to `seat_selections` rows and review events to `seat_reviews`.

The attribute contract is docs/telemetry-attributes.md. Attributes a sender does not set
(any OTLP sender that calls OpenRouter, not only the router) leave their column at its empty
value: '' for strings, 0/false for numbers and flags, NULL for the Nullable columns, and
`attempts` = 1.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from telemetry_service.otlp_values import (
    as_bool,
    as_float,
    as_int,
    as_str,
    as_str_list,
    attribute_values,
)

SEAT_SELECTIONS_COLUMNS: tuple[str, ...] = (
    "event_time",
    "trace_id",
    "span_id",
    "service_name",
    "session_id",
    "seat_id",
    "tier",
    "requested_model",
    "resolved_model",
    "provider",
    "generation_id",
    "pareto_applied",
    "min_coding_score",
    "pareto_band",
    "nitro",
    "pool_models",
    "duplicate_of_pool",
    "status",
    "error_type",
    "attempts",
    "latency_ms",
    "ttft_ms",
    "streaming",
    "finish_reason",
    "input_tokens",
    "output_tokens",
    "reasoning_tokens",
    "cached_tokens",
    "cost_usd",
    "routing_strategy",
    "routing_attempt",
)

SEAT_REVIEWS_COLUMNS: tuple[str, ...] = (
    "event_time",
    "trace_id",
    "span_id",
    "session_id",
    "seat_id",
    "generation_id",
    "tier",
    "requested_model",
    "resolved_model",
    "reviewer",
    "score",
    "rank",
    "borda_points",
)

SELECTION_OPERATIONS = frozenset({"chat", "text_completion"})
REVIEW_EVENT_NAME = "gen_ai.evaluation.result"
UINT16_MAX = 65_535
UINT32_MAX = 4_294_967_295


def is_selection(attrs: dict[str, Any]) -> bool:
    """A chat/text_completion span that talks to OpenRouter (the rule in the doc).

    `attrs` holds converted values (otlp_values.attribute_values); only strings can match.
    """
    operation = attrs.get("gen_ai.operation.name")
    if type(operation) is not str or operation not in SELECTION_OPERATIONS:
        return False
    # gen_ai.provider.name wins whenever present (even empty); gen_ai.system is the older name.
    provider = (
        attrs["gen_ai.provider.name"]
        if "gen_ai.provider.name" in attrs
        else attrs.get("gen_ai.system")
    )
    if provider == "openrouter":
        return True
    address = attrs.get("server.address")
    return type(address) is str and address.endswith("openrouter.ai")


def _tokens(attrs: dict[str, Any], *keys: str) -> int:
    """The first present key among `keys` (current name, then the older semconv one)."""
    for key in keys:
        value = as_int(attrs, key, 0, UINT32_MAX)
        if value is not None:
            return value
    return 0


def selection_row(
    attrs: dict[str, Any],
    service_name: str,
    trace_hex: str,
    span_hex: str,
    start_ns: int,
    end_ns: int,
    status_code: int,
) -> tuple[object, ...]:
    """One seat_selections row in SEAT_SELECTIONS_COLUMNS order; raises AttributeTypeError.

    `attrs` holds converted values (otlp_values.attribute_values); times are the span's, in
    ns. event_time is microseconds since the epoch (DateTime64(6)), latency in ms.
    """
    session_id = as_str(attrs, "llm_council.session.id") or as_str(attrs, "gen_ai.conversation.id")
    finish_reasons = as_str_list(attrs, "gen_ai.response.finish_reasons")
    attempts = as_int(attrs, "llm_council.attempts", 0, UINT16_MAX)
    return (
        start_ns // 1000,
        trace_hex,
        span_hex,
        service_name,
        session_id,
        as_str(attrs, "llm_council.seat.id"),
        as_str(attrs, "llm_council.tier"),
        as_str(attrs, "gen_ai.request.model"),
        as_str(attrs, "gen_ai.response.model"),
        as_str(attrs, "openrouter.provider"),
        as_str(attrs, "gen_ai.response.id"),
        as_bool(attrs, "openrouter.pareto.applied"),
        as_float(attrs, "openrouter.pareto.min_coding_score"),
        as_str(attrs, "openrouter.pareto.band"),
        as_bool(attrs, "openrouter.pareto.nitro"),
        as_str_list(attrs, "llm_council.pool.models"),
        as_bool(attrs, "llm_council.duplicate_of_pool"),
        "error" if status_code == Status.STATUS_CODE_ERROR else "ok",
        as_str(attrs, "error.type"),
        1 if attempts is None else attempts,
        (end_ns - start_ns) / 1e6,
        as_float(attrs, "llm_council.time_to_first_token_ms"),
        as_bool(attrs, "llm_council.streaming"),
        finish_reasons[0] if finish_reasons else "",
        _tokens(attrs, "gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens"),
        _tokens(attrs, "gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens"),
        _tokens(attrs, "gen_ai.usage.reasoning.output_tokens"),
        _tokens(attrs, "gen_ai.usage.cache_read.input_tokens"),
        as_float(attrs, "openrouter.cost_usd"),
        as_str(attrs, "openrouter.routing.strategy"),
        as_int(attrs, "openrouter.routing.attempt", 0, UINT16_MAX) or 0,
    )


def review_rows(
    events: Sequence[Span.Event],
    span_attrs: dict[str, Any],
    trace_hex: str,
    span_hex: str,
    start_ns: int,
) -> list[tuple[object, ...]]:
    """seat_reviews rows for the span's `gen_ai.evaluation.result` events.

    Session and seat fall back to the carrying span's attributes when the event lacks them;
    an event without a time takes the span's start (`start_ns`).
    """
    rows: list[tuple[object, ...]] = []
    for event in events:
        if event.name != REVIEW_EVENT_NAME:
            continue
        attrs, _ = attribute_values(event.attributes)
        time_us = (event.time_unix_nano or start_ns) // 1000
        rows.append(
            (
                time_us,
                trace_hex,
                span_hex,
                as_str(attrs, "llm_council.session.id")
                or as_str(span_attrs, "llm_council.session.id"),
                as_str(attrs, "llm_council.seat.id") or as_str(span_attrs, "llm_council.seat.id"),
                as_str(attrs, "gen_ai.response.id"),
                as_str(attrs, "llm_council.tier") or as_str(span_attrs, "llm_council.tier"),
                as_str(attrs, "gen_ai.request.model"),
                as_str(attrs, "gen_ai.response.model"),
                as_str(attrs, "llm_council.review.reviewer"),
                as_float(attrs, "gen_ai.evaluation.score.value"),
                as_int(attrs, "llm_council.review.rank", 0, UINT16_MAX),
                as_float(attrs, "llm_council.review.borda_points"),
            )
        )
    return rows
