"""Every bad input is named by its field path (pure validation, no I/O)."""

from __future__ import annotations

import math
from typing import Any

import pytest
from google.protobuf import struct_pb2
from llmcouncil.router.v1 import router_service_pb2 as pb

from router_service.errors import InvalidRequestError
from router_service.tiers import load_tier_table
from router_service.validation import (
    route_request_violations,
    validate_review_request,
    validate_stream_request,
)
from tests.router_service.router_helpers import PARETO, seat_request

TIERS = load_tier_table()
MAX_CHARS = 1000


def struct(**values: Any) -> struct_pb2.Struct:
    out = struct_pb2.Struct()
    out.update(values)
    return out


def fields_of(request: pb.RouteSeatRequest) -> list[str]:
    return [v.field for v in route_request_violations(request, TIERS, max_chars=MAX_CHARS)]


BAD_REQUESTS = [
    pytest.param(seat_request(model=""), "model", id="no-model"),
    pytest.param(seat_request(model="a" * 257), "model", id="model-too-long"),
    pytest.param(seat_request(model="a b"), "model", id="model-with-space"),
    pytest.param(seat_request(messages=[]), "messages", id="no-messages"),
    pytest.param(
        seat_request(
            messages=[
                pb.ChatMessage(role="system", content="s"),
                pb.ChatMessage(role="user", content="u"),
                pb.ChatMessage(role="wizard", content="w"),
            ]
        ),
        "messages[2].role",
        id="unknown-role",
    ),
    pytest.param(
        seat_request(messages=[pb.ChatMessage(role="", content="x")]),
        "messages[0].role",
        id="empty-role",
    ),
    pytest.param(
        seat_request(messages=[pb.ChatMessage(role="user", content="")]),
        "messages[0].content",
        id="empty-user-content",
    ),
    pytest.param(
        seat_request(messages=[pb.ChatMessage(role="tool", content="42")]),
        "messages[0].tool_call_id",
        id="tool-without-call-id",
    ),
    pytest.param(
        seat_request(messages=[pb.ChatMessage(role="user", content="x" * (MAX_CHARS + 1))]),
        "messages",
        id="oversized-messages",
    ),
    pytest.param(seat_request(min_coding_score=1.01), "min_coding_score", id="score-above-1"),
    pytest.param(seat_request(min_coding_score=-0.1), "min_coding_score", id="score-below-0"),
    pytest.param(seat_request(min_coding_score=math.nan), "min_coding_score", id="score-nan"),
    pytest.param(seat_request(min_coding_score=math.inf), "min_coding_score", id="score-inf"),
    pytest.param(seat_request(tier=42), "tier", id="unknown-tier-number"),
    pytest.param(seat_request(tier=pb.TIER_UNSPECIFIED), "tier", id="pareto-unspecified-no-score"),
    pytest.param(
        seat_request(f"{PARETO}:nitro", tier=pb.TIER_UNSPECIFIED),
        "tier",
        id="nitro-unspecified-no-score",
    ),
    pytest.param(seat_request(temperature=2.5), "temperature", id="temperature-high"),
    pytest.param(seat_request(temperature=-0.1), "temperature", id="temperature-negative"),
    pytest.param(seat_request(temperature=math.nan), "temperature", id="temperature-nan"),
    pytest.param(seat_request(top_p=0.0), "top_p", id="top-p-zero"),
    pytest.param(seat_request(top_p=1.5), "top_p", id="top-p-high"),
    pytest.param(seat_request(max_tokens=0), "max_tokens", id="max-tokens-zero"),
    pytest.param(seat_request(stop=["a", "b", "c", "d", "e"]), "stop", id="five-stops"),
    pytest.param(seat_request(stop=["a", ""]), "stop[1]", id="empty-stop"),
    pytest.param(seat_request(reasoning_effort=99), "reasoning_effort", id="unknown-effort"),
    pytest.param(
        seat_request(response_format=pb.ResponseFormat(type="xml")),
        "response_format.type",
        id="response-format-type",
    ),
    pytest.param(
        seat_request(response_format=pb.ResponseFormat(type="json_schema")),
        "response_format.json_schema",
        id="json-schema-missing",
    ),
    pytest.param(
        seat_request(extra_body=struct(model="x")), "extra_body.model", id="extra-body-model"
    ),
    pytest.param(
        seat_request(extra_body=struct(messages=[])),
        "extra_body.messages",
        id="extra-body-messages",
    ),
    pytest.param(
        seat_request(extra_body=struct(stream=True)), "extra_body.stream", id="extra-body-stream"
    ),
    pytest.param(
        seat_request(extra_body=struct(plugins=[])), "extra_body.plugins", id="extra-body-plugins"
    ),
    pytest.param(
        seat_request(extra_body=struct(session_id="s")),
        "extra_body.session_id",
        id="extra-body-session-id",
    ),
    pytest.param(
        seat_request(pareto=pb.ParetoOptions(max_price=0.0)),
        "pareto.max_price",
        id="max-price-zero",
    ),
    pytest.param(
        seat_request(pareto=pb.ParetoOptions(max_price=math.inf)),
        "pareto.max_price",
        id="max-price-inf",
    ),
    pytest.param(
        seat_request(pareto=pb.ParetoOptions(price_source="p" * 65)),
        "pareto.price_source",
        id="price-source-long",
    ),
    pytest.param(seat_request(session_id="s" * 257), "session_id", id="session-id-long"),
    pytest.param(seat_request(seat_id="s" * 257), "seat_id", id="seat-id-long"),
    pytest.param(seat_request(pool_models=["ok/model", ""]), "pool_models[1]", id="empty-pool"),
]


@pytest.mark.parametrize(("request_", "field"), BAD_REQUESTS)
def test_bad_input_is_named_by_field(request_: pb.RouteSeatRequest, field: str) -> None:
    assert field in fields_of(request_)


@pytest.mark.parametrize(
    "request_",
    [
        pytest.param(seat_request(), id="pareto-balanced"),
        pytest.param(seat_request(tier=pb.TIER_FRONTIER), id="pareto-frontier"),
        pytest.param(
            seat_request(tier=pb.TIER_UNSPECIFIED, min_coding_score=0.4), id="pareto-score-only"
        ),
        pytest.param(
            seat_request("qwen/qwen3-coder", tier=pb.TIER_UNSPECIFIED), id="named-no-tier"
        ),
        pytest.param(
            seat_request(
                messages=[
                    pb.ChatMessage(role="user", content="q"),
                    pb.ChatMessage(role="assistant", content=""),
                ]
            ),
            id="empty-assistant-content",
        ),
        pytest.param(
            seat_request(temperature=0.0, top_p=1.0, max_tokens=1, stop=["a"] * 4),
            id="generation-bounds",
        ),
    ],
)
def test_valid_requests_have_no_violations(request_: pb.RouteSeatRequest) -> None:
    assert fields_of(request_) == []


def test_every_violation_is_reported_at_once() -> None:
    request = seat_request(model="", messages=[], temperature=9.0)
    assert {"model", "messages", "temperature"} <= set(fields_of(request))


def test_stream_request_needs_a_seat_and_prefixes_fields() -> None:
    with pytest.raises(InvalidRequestError) as missing:
        validate_stream_request(pb.StreamSeatRequest(), TIERS, max_chars=MAX_CHARS)
    assert [v.field for v in missing.value.violations] == ["seat"]
    bad = pb.StreamSeatRequest(seat=seat_request(messages=[pb.ChatMessage(role="x", content="y")]))
    with pytest.raises(InvalidRequestError) as inner:
        validate_stream_request(bad, TIERS, max_chars=MAX_CHARS)
    assert [v.field for v in inner.value.violations] == ["seat.messages[0].role"]


@pytest.mark.parametrize(
    ("review", "field"),
    [
        pytest.param(
            pb.RecordSeatReviewRequest(seat_id="a", reviewer="r"), "session_id", id="no-session"
        ),
        pytest.param(
            pb.RecordSeatReviewRequest(session_id="s", reviewer="r"),
            "seat_id",
            id="no-seat-no-generation",
        ),
        pytest.param(
            pb.RecordSeatReviewRequest(session_id="s", seat_id="a"), "reviewer", id="no-reviewer"
        ),
        pytest.param(
            pb.RecordSeatReviewRequest(session_id="s", seat_id="a", reviewer="r", score=math.nan),
            "score",
            id="score-nan",
        ),
        pytest.param(
            pb.RecordSeatReviewRequest(session_id="s", seat_id="a", reviewer="r", tier=17),  # type: ignore[arg-type]
            "tier",
            id="unknown-tier",
        ),
    ],
)
def test_bad_reviews_are_named_by_field(review: pb.RecordSeatReviewRequest, field: str) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        validate_review_request(review)
    assert field in [v.field for v in caught.value.violations]
