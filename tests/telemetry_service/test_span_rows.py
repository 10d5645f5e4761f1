"""span_rows / genai_rows: every column from hand-built OTLP requests."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from telemetry_service.genai_rows import SEAT_REVIEWS_COLUMNS, SEAT_SELECTIONS_COLUMNS
from telemetry_service.span_rows import OTEL_TRACES_COLUMNS, rows_from_request
from tests.telemetry_service.otlp_builders import (
    END_NS,
    SPAN_ID,
    START_NS,
    TRACE_ID,
    export_request,
    router_chat_attributes,
    span,
)


def as_dict(columns: tuple[str, ...], row: tuple[object, ...]) -> dict[str, object]:
    assert len(columns) == len(row)
    return dict(zip(columns, row, strict=True))


def test_router_chat_span_fills_every_selection_column() -> None:
    batch = rows_from_request(export_request([span(router_chat_attributes())]))

    assert batch.rejected == 0
    assert as_dict(SEAT_SELECTIONS_COLUMNS, batch.selections[0]) == {
        "event_time": START_NS // 1000,
        "trace_id": TRACE_ID.hex(),
        "span_id": SPAN_ID.hex(),
        "service_name": "router-service",
        "session_id": "sess-1",
        "seat_id": "seat-2",
        "tier": "balanced",
        "requested_model": "openrouter/pareto-code",
        "resolved_model": "anthropic/claude-sonnet-4.5",
        "provider": "Anthropic",
        "generation_id": "gen-123",
        "pareto_applied": True,
        "min_coding_score": 0.5,
        "pareto_band": "medium",
        "nitro": False,
        "pool_models": ["openai/gpt-5", "anthropic/claude-sonnet-4.5"],
        "duplicate_of_pool": True,
        "status": "ok",
        "error_type": "",
        "attempts": 2,
        "latency_ms": 250.0,
        "ttft_ms": 81.5,
        "streaming": True,
        "finish_reason": "stop",
        "input_tokens": 120,
        "output_tokens": 45,
        "reasoning_tokens": 3,
        "cached_tokens": 7,
        "cost_usd": 0.00123,
        "routing_strategy": "pareto",
        "routing_attempt": 1,
    }


def test_router_chat_span_fills_every_otel_traces_column() -> None:
    event = ("gen_ai.content.chunk", START_NS + 5, {"n": 1})
    built = span(
        {"gen_ai.operation.name": "chat", "flag": True, "ratio": 0.25},
        parent_span_id=bytes.fromhex("00f067aa0ba902b7"),
        status_code=Status.STATUS_CODE_ERROR,
        status_message="boom",
        events=[event],
    )
    built.trace_state = "k=v"
    link = built.links.add(trace_id=TRACE_ID, span_id=SPAN_ID, trace_state="a=b")
    link.attributes.add(key="why", value=built.attributes[0].value)

    batch = rows_from_request(export_request([built]))

    assert as_dict(OTEL_TRACES_COLUMNS, batch.traces[0]) == {
        "Timestamp": START_NS,
        "TraceId": TRACE_ID.hex(),
        "SpanId": SPAN_ID.hex(),
        "ParentSpanId": "00f067aa0ba902b7",
        "TraceState": "k=v",
        "SpanName": "chat openrouter/pareto-code",
        "SpanKind": "Client",
        "ServiceName": "router-service",
        "ResourceAttributes": {"service.name": "router-service", "service.version": "0.1.0"},
        "ScopeName": "router_service",
        "ScopeVersion": "0.1.0",
        "SpanAttributes": {"gen_ai.operation.name": "chat", "flag": "true", "ratio": "0.25"},
        "Duration": END_NS - START_NS,
        "StatusCode": "Error",
        "StatusMessage": "boom",
        "Events.Timestamp": [START_NS + 5],
        "Events.Name": ["gen_ai.content.chunk"],
        "Events.Attributes": [{"n": "1"}],
        "Links.TraceId": [TRACE_ID.hex()],
        "Links.SpanId": [SPAN_ID.hex()],
        "Links.TraceState": ["a=b"],
        "Links.Attributes": [{"why": "chat"}],
    }


def test_failed_call_is_an_error_selection_without_resolved_model() -> None:
    attributes = router_chat_attributes(**{"error.type": "UPSTREAM_RATE_LIMITED"})
    del attributes["gen_ai.response.model"]
    batch = rows_from_request(
        export_request([span(attributes, status_code=Status.STATUS_CODE_ERROR)])
    )

    row = as_dict(SEAT_SELECTIONS_COLUMNS, batch.selections[0])
    assert (row["status"], row["error_type"], row["resolved_model"]) == (
        "error",
        "UPSTREAM_RATE_LIMITED",
        "",
    )


def test_genai_span_from_another_sender_leaves_council_fields_empty() -> None:
    attributes = {
        "gen_ai.operation.name": "chat",
        "gen_ai.system": "openrouter",
        "gen_ai.request.model": "openai/gpt-4o",
        "gen_ai.response.model": "openai/gpt-4o-2024-08-06",
        "gen_ai.usage.prompt_tokens": 10,
        "gen_ai.usage.completion_tokens": 4,
    }
    batch = rows_from_request(export_request([span(attributes)], service_name="my-app"))

    row = as_dict(SEAT_SELECTIONS_COLUMNS, batch.selections[0])
    assert row["service_name"] == "my-app"
    assert (row["requested_model"], row["resolved_model"]) == (
        "openai/gpt-4o",
        "openai/gpt-4o-2024-08-06",
    )
    assert (row["input_tokens"], row["output_tokens"]) == (10, 4)
    assert (row["tier"], row["session_id"], row["seat_id"], row["pareto_band"]) == ("",) * 4
    assert (row["min_coding_score"], row["cost_usd"], row["ttft_ms"]) == (None, None, None)
    assert (row["attempts"], row["pareto_applied"], row["pool_models"]) == (1, False, [])


@pytest.mark.parametrize(
    "attributes",
    [
        pytest.param(
            {"gen_ai.operation.name": "chat", "server.address": "api.openrouter.ai"},
            id="server-address-openrouter",
        ),
        pytest.param(
            {"gen_ai.operation.name": "text_completion", "gen_ai.system": "openrouter"},
            id="text-completion-old-system-attribute",
        ),
    ],
)
def test_openrouter_genai_spans_are_selections(attributes: dict[str, object]) -> None:
    batch = rows_from_request(export_request([span(attributes)]))
    assert len(batch.selections) == 1


@pytest.mark.parametrize(
    "attributes",
    [
        pytest.param({"http.route": "/v1/x"}, id="not-genai"),
        pytest.param(
            {"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai"},
            id="genai-other-provider",
        ),
        pytest.param(
            {"gen_ai.operation.name": "embeddings", "gen_ai.provider.name": "openrouter"},
            id="openrouter-embeddings",
        ),
    ],
)
def test_other_spans_go_only_to_otel_traces(attributes: dict[str, object]) -> None:
    batch = rows_from_request(export_request([span(attributes, kind=Span.SPAN_KIND_SERVER)]))
    assert (len(batch.traces), len(batch.selections), len(batch.reviews)) == (1, 0, 0)


def test_review_event_becomes_a_seat_reviews_row() -> None:
    review = {
        "gen_ai.evaluation.name": "council_peer_review",
        "gen_ai.evaluation.score.value": 8.5,
        "gen_ai.response.id": "gen-9",
        "gen_ai.response.model": "openai/gpt-5",
        "gen_ai.request.model": "openrouter/pareto-code",
        "llm_council.seat.id": "seat-1",
        "llm_council.tier": "high",
        "llm_council.review.reviewer": "seat-3",
        "llm_council.review.rank": 1,
        "llm_council.review.borda_points": 2.0,
    }
    carrier = span(
        {"llm_council.session.id": "sess-7"},
        name="evaluate seat-1",
        kind=Span.SPAN_KIND_INTERNAL,
        events=[("gen_ai.evaluation.result", START_NS + 1000, review)],
    )
    batch = rows_from_request(export_request([carrier]))

    assert batch.selections == []
    assert as_dict(SEAT_REVIEWS_COLUMNS, batch.reviews[0]) == {
        "event_time": (START_NS + 1000) // 1000,
        "trace_id": TRACE_ID.hex(),
        "span_id": SPAN_ID.hex(),
        "session_id": "sess-7",
        "seat_id": "seat-1",
        "generation_id": "gen-9",
        "tier": "high",
        "requested_model": "openrouter/pareto-code",
        "resolved_model": "openai/gpt-5",
        "reviewer": "seat-3",
        "score": 8.5,
        "rank": 1,
        "borda_points": 2.0,
    }


@pytest.mark.parametrize(
    ("bad_span", "reason"),
    [
        pytest.param(span(trace_id=b"\x01" * 8), "trace_id", id="short-trace-id"),
        pytest.param(span(trace_id=b"\x00" * 16), "trace_id", id="zero-trace-id"),
        pytest.param(span(span_id=b"\x01" * 4), "span_id", id="short-span-id"),
        pytest.param(span(parent_span_id=b"\x01" * 3), "parent_span_id", id="bad-parent-id"),
        pytest.param(span(end_ns=START_NS - 1), "before", id="end-before-start"),
        pytest.param(
            span(router_chat_attributes(**{"gen_ai.usage.input_tokens": "lots"})),
            "gen_ai.usage.input_tokens",
            id="non-numeric-token-string",
        ),
        pytest.param(
            span(router_chat_attributes(**{"gen_ai.usage.output_tokens": -3})),
            "gen_ai.usage.output_tokens",
            id="negative-tokens",
        ),
        pytest.param(
            span(router_chat_attributes(**{"openrouter.cost_usd": True})),
            "openrouter.cost_usd",
            id="bool-cost",
        ),
        pytest.param(
            span(router_chat_attributes(**{"llm_council.pool.models": [1, 2]})),
            "llm_council.pool.models",
            id="int-array-pool",
        ),
    ],
)
def test_malformed_span_is_rejected_and_the_good_one_kept(bad_span: Span, reason: str) -> None:
    good = span(router_chat_attributes(), span_id=b"\x09" * 8)
    batch = rows_from_request(export_request([bad_span, good]))

    assert batch.rejected == 1
    assert reason in batch.error_message()
    assert [row[2] for row in batch.traces] == [(b"\x09" * 8).hex()]
    assert len(batch.selections) == 1


def test_numeric_string_tokens_are_accepted() -> None:
    attributes = router_chat_attributes(**{"gen_ai.usage.input_tokens": "42"})
    batch = rows_from_request(export_request([span(attributes)]))
    assert batch.rejected == 0
    assert as_dict(SEAT_SELECTIONS_COLUMNS, batch.selections[0])["input_tokens"] == 42


def test_error_message_counts_beyond_the_reported_reasons() -> None:
    bad = [span(span_id=b"\x01" * 3) for _ in range(8)]
    batch = rows_from_request(export_request(bad))
    assert batch.rejected == 8
    assert batch.error_message().endswith("and 3 more")


KNOWN_KEYS = [
    *sorted(router_chat_attributes()),
    "gen_ai.usage.prompt_tokens",
    "openrouter.pareto.max_price",
    "error.type",
]
scalars = st.one_of(
    st.text(max_size=8),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
)
values = st.one_of(scalars, st.lists(scalars, max_size=3))


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(KNOWN_KEYS), values, max_size=12))
def test_any_attribute_values_give_a_row_or_a_reject_never_a_crash(
    attributes: dict[str, object],
) -> None:
    mixed = router_chat_attributes(**attributes)
    batch = rows_from_request(export_request([span(mixed)]))
    assert batch.rejected + len(batch.traces) == 1
    if batch.selections:
        row = as_dict(SEAT_SELECTIONS_COLUMNS, batch.selections[0])
        assert 0 <= int(str(row["input_tokens"])) < 2**32
        assert 0 <= int(str(row["attempts"])) < 2**16


def test_span_without_events_or_links_has_empty_nested_columns() -> None:
    batch = rows_from_request(export_request([span(router_chat_attributes())]))
    row = as_dict(OTEL_TRACES_COLUMNS, batch.traces[0])
    nested = [name for name in OTEL_TRACES_COLUMNS if name.startswith(("Events.", "Links."))]
    assert {name: row[name] for name in nested} == {name: [] for name in nested}
    span_attributes = row["SpanAttributes"]
    assert isinstance(span_attributes, dict)
    assert span_attributes["llm_council.pool.models"] == (
        '["openai/gpt-5","anthropic/claude-sonnet-4.5"]'
    )
