"""The OpenRouter body for every tier, override, variant and generation option."""

from __future__ import annotations

from typing import Any

import pytest
from google.protobuf import struct_pb2
from llmcouncil.router.v1 import router_service_pb2 as pb

from router_service.request_builder import build_seat_call, is_duplicate_of_pool
from router_service.tiers import load_tier_table
from tests.router_service.router_helpers import PARETO, seat_request

TIERS = load_tier_table()


def body_for(request: pb.RouteSeatRequest, *, stream: bool = False) -> dict[str, Any]:
    return build_seat_call(request, TIERS, stream=stream).body


@pytest.mark.parametrize(
    ("tier", "score", "band"),
    [
        pytest.param(pb.TIER_QUICK, 0.2, "low", id="quick-0.2-low"),
        pytest.param(pb.TIER_BALANCED, 0.5, "medium", id="balanced-0.5-medium"),
        pytest.param(pb.TIER_HIGH, 0.8, "high", id="high-0.8-high"),
        pytest.param(pb.TIER_REASONING, 0.9, "high", id="reasoning-0.9-high"),
    ],
)
def test_pareto_seat_sends_the_tier_score(tier: int, score: float, band: str) -> None:
    call = build_seat_call(seat_request(PARETO, tier), TIERS, stream=False)
    assert call.body["plugins"] == [{"id": "pareto-router", "min_coding_score": score}]
    assert call.body["model"] == PARETO
    assert call.pareto.applied and call.pareto.min_coding_score == score
    assert call.pareto.band == band


def test_frontier_tier_omits_the_score_and_records_high_band() -> None:
    call = build_seat_call(seat_request(PARETO, pb.TIER_FRONTIER), TIERS, stream=False)
    assert call.body["plugins"] == [{"id": "pareto-router"}]
    assert call.pareto.min_coding_score is None
    assert call.pareto.band == "high"


@pytest.mark.parametrize(
    ("tier", "override", "band"),
    [
        pytest.param(pb.TIER_QUICK, 0.7, "high", id="quick-overridden-to-high"),
        pytest.param(pb.TIER_FRONTIER, 0.1, "low", id="frontier-with-explicit-score"),
        pytest.param(pb.TIER_UNSPECIFIED, 0.33, "medium", id="unspecified-with-score"),
        pytest.param(pb.TIER_HIGH, 0.0, "low", id="zero-is-a-score"),
        pytest.param(pb.TIER_BALANCED, 1.0, "high", id="one-inclusive"),
        pytest.param(pb.TIER_BALANCED, 0.6599, "medium", id="just-below-high"),
    ],
)
def test_min_coding_score_overrides_the_tier(tier: int, override: float, band: str) -> None:
    call = build_seat_call(
        seat_request(PARETO, tier, min_coding_score=override), TIERS, stream=False
    )
    assert call.body["plugins"][0]["min_coding_score"] == override
    assert call.pareto.band == band


@pytest.mark.parametrize(
    ("model", "nitro_option"),
    [
        pytest.param(f"{PARETO}:nitro", False, id="nitro-in-model-id"),
        pytest.param(PARETO, True, id="nitro-option"),
        pytest.param(f"{PARETO}:nitro", True, id="both"),
    ],
)
def test_nitro_selects_the_nitro_variant_and_keeps_the_plugin(
    model: str, nitro_option: bool
) -> None:
    request = seat_request(model, pb.TIER_HIGH, pareto=pb.ParetoOptions(nitro=nitro_option))
    call = build_seat_call(request, TIERS, stream=False)
    assert call.body["model"] == f"{PARETO}:nitro"
    assert call.requested_model == f"{PARETO}:nitro"
    assert call.body["plugins"] == [{"id": "pareto-router", "min_coding_score": 0.8}]
    assert call.pareto.nitro


@pytest.mark.parametrize(
    "model",
    [
        pytest.param("anthropic/claude-opus-4.7", id="named"),
        pytest.param("openai/gpt-5.4:floor", id="named-with-variant"),
        pytest.param("openrouter/auto", id="other-router"),
        pytest.param(f"{PARETO}:free", id="pareto-with-unknown-variant"),
    ],
)
def test_named_models_get_no_plugin(model: str) -> None:
    request = seat_request(
        model, pb.TIER_HIGH, min_coding_score=0.9, pareto=pb.ParetoOptions(nitro=True)
    )
    call = build_seat_call(request, TIERS, stream=False)
    assert "plugins" not in call.body
    assert call.body["model"] == model
    assert not call.pareto.applied and call.pareto.band is None and not call.pareto.nitro


def test_plugin_options_max_price_price_source_and_disabled() -> None:
    request = seat_request(
        PARETO,
        pb.TIER_BALANCED,
        pareto=pb.ParetoOptions(max_price=2.5, price_source="blended", disabled=True),
    )
    assert body_for(request)["plugins"] == [
        {
            "id": "pareto-router",
            "min_coding_score": 0.5,
            "max_price": 2.5,
            "price_source": "blended",
            "enabled": False,
        }
    ]


def test_generation_params_are_sent_when_set() -> None:
    request = seat_request(
        "qwen/qwen3-coder",
        pb.TIER_QUICK,
        temperature=0.0,
        top_p=0.9,
        max_tokens=256,
        stop=["END", "STOP"],
        seed=-7,
        user="user-42",
    )
    body = body_for(request)
    assert body["temperature"] == 0.0
    assert body["top_p"] == 0.9
    assert body["max_tokens"] == 256
    assert body["stop"] == ["END", "STOP"]
    assert body["seed"] == -7
    assert body["user"] == "user-42"


def test_unset_generation_params_are_not_sent() -> None:
    body = body_for(seat_request("qwen/qwen3-coder", pb.TIER_QUICK))
    assert set(body) == {"model", "messages"}


@pytest.mark.parametrize(
    ("effort", "sent"),
    [
        pytest.param(pb.REASONING_EFFORT_NONE, "none", id="none"),
        pytest.param(pb.REASONING_EFFORT_MINIMAL, "minimal", id="minimal"),
        pytest.param(pb.REASONING_EFFORT_LOW, "low", id="low"),
        pytest.param(pb.REASONING_EFFORT_MEDIUM, "medium", id="medium"),
        pytest.param(pb.REASONING_EFFORT_HIGH, "high", id="high"),
        pytest.param(pb.REASONING_EFFORT_XHIGH, "xhigh", id="xhigh"),
    ],
)
def test_reasoning_effort_is_sent_as_reasoning_effort(effort: int, sent: str) -> None:
    body = body_for(seat_request(PARETO, pb.TIER_REASONING, reasoning_effort=effort))
    assert body["reasoning"] == {"effort": sent}


def test_reasoning_effort_unspecified_is_not_sent() -> None:
    assert "reasoning" not in body_for(seat_request(PARETO, pb.TIER_REASONING))


def test_response_format_json_schema_is_sent_as_plain_json() -> None:
    schema = struct_pb2.Struct()
    schema.update(
        {
            "name": "answer",
            "strict": True,
            "schema": {"type": "object", "properties": {"n": {"type": "integer"}}},
        }
    )
    request = seat_request(
        PARETO,
        pb.TIER_HIGH,
        response_format=pb.ResponseFormat(type="json_schema", json_schema=schema),
    )
    assert body_for(request)["response_format"] == {
        "type": "json_schema",
        "json_schema": {
            "name": "answer",
            "strict": True,
            "schema": {"type": "object", "properties": {"n": {"type": "integer"}}},
        },
    }


def test_response_format_json_object() -> None:
    request = seat_request(
        PARETO, pb.TIER_HIGH, response_format=pb.ResponseFormat(type="json_object")
    )
    assert body_for(request)["response_format"] == {"type": "json_object"}


def test_extra_body_is_merged_and_integral_numbers_stay_integers() -> None:
    extra = struct_pb2.Struct()
    extra.update({"provider": {"order": ["Anthropic"], "allow_fallbacks": False}, "top_k": 40})
    body = body_for(seat_request(PARETO, pb.TIER_HIGH, extra_body=extra))
    assert body["provider"] == {"order": ["Anthropic"], "allow_fallbacks": False}
    assert body["top_k"] == 40 and isinstance(body["top_k"], int)
    assert body["plugins"][0]["min_coding_score"] == 0.8


def test_explicit_fields_win_over_extra_body() -> None:
    extra = struct_pb2.Struct()
    extra.update({"temperature": 1.5})
    body = body_for(seat_request(PARETO, pb.TIER_HIGH, temperature=0.2, extra_body=extra))
    assert body["temperature"] == 0.2


@pytest.mark.parametrize("key", ["model", "messages", "stream", "plugins", "session_id"])
def test_builder_refuses_reserved_extra_body_keys(key: str) -> None:
    extra = struct_pb2.Struct()
    extra.update({key: "x"})
    with pytest.raises(ValueError, match=key):
        body_for(seat_request(PARETO, pb.TIER_HIGH, extra_body=extra))


def test_session_id_is_sent_for_stickiness() -> None:
    body = body_for(seat_request(PARETO, pb.TIER_HIGH, session_id="council-1"))
    assert body["session_id"] == "council-1"


def test_messages_keep_role_content_name_and_tool_call_id() -> None:
    messages = [
        pb.ChatMessage(role="system", content="be brief"),
        pb.ChatMessage(role="user", content="hi", name="alice"),
        pb.ChatMessage(role="assistant", content=""),
        pb.ChatMessage(role="tool", content="42", tool_call_id="call-1"),
    ]
    assert body_for(seat_request(PARETO, pb.TIER_HIGH, messages=messages))["messages"] == [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "hi", "name": "alice"},
        {"role": "assistant", "content": ""},
        {"role": "tool", "content": "42", "tool_call_id": "call-1"},
    ]


def test_stream_flag_only_when_streaming() -> None:
    assert body_for(seat_request(), stream=True)["stream"] is True
    assert "stream" not in body_for(seat_request(), stream=False)


def test_pool_defaults_to_the_tier_seats_and_request_pool_wins() -> None:
    default = build_seat_call(seat_request(PARETO, pb.TIER_BALANCED), TIERS, stream=False)
    assert default.pool_models == (*TIERS.tiers[pb.TIER_BALANCED].pool_models, PARETO)
    given = build_seat_call(
        seat_request(PARETO, pb.TIER_BALANCED, pool_models=["a/b"]), TIERS, stream=False
    )
    assert given.pool_models == ("a/b",)


def test_tier_timeout_is_the_budget_and_unspecified_uses_the_default() -> None:
    assert build_seat_call(seat_request(PARETO, pb.TIER_QUICK), TIERS, stream=False).timeout_s == 30
    named = seat_request("qwen/qwen3-coder", pb.TIER_UNSPECIFIED)
    assert build_seat_call(named, TIERS, stream=False).timeout_s == TIERS.default_timeout_s


@pytest.mark.parametrize(
    ("resolved", "pool", "duplicate"),
    [
        pytest.param("qwen/qwen3-coder", ("qwen/qwen3-coder",), True, id="exact"),
        pytest.param("qwen/qwen3-coder", ("qwen/qwen3-coder:nitro",), True, id="pool-variant"),
        pytest.param("qwen/qwen3-coder:free", ("qwen/qwen3-coder",), True, id="resolved-variant"),
        pytest.param("qwen/qwen3-coder", ("qwen/qwen3-coder-plus",), False, id="prefix-only"),
        pytest.param("qwen/qwen3-coder", (), False, id="empty-pool"),
        pytest.param("", ("qwen/qwen3-coder",), False, id="no-resolved-model"),
    ],
)
def test_duplicate_of_pool_ignores_variant_suffixes(
    resolved: str, pool: tuple[str, ...], duplicate: bool
) -> None:
    assert is_duplicate_of_pool(resolved, pool) is duplicate
