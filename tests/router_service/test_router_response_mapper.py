"""Pure mapping: completions, usage, routing metadata, upstream error bodies, SSE chunks."""

from __future__ import annotations

import email.utils
from typing import Any

import grpc
import pytest
from google.rpc import error_details_pb2

from router_service.errors import (
    FieldViolation,
    InvalidRequestError,
    RouterOverloadedError,
    UpstreamBadResponseError,
    UpstreamHTTPError,
    UpstreamStreamError,
    http_status_mapping,
    to_status_proto,
)
from router_service.openrouter_client import RetryPolicy, parse_retry_after
from router_service.response_mapper import (
    StreamAccumulator,
    parse_completion,
    parse_usage,
    upstream_error,
)

SECRET = "sk-secret-123"


def redact(text: str) -> str:
    return text.replace(SECRET, "[REDACTED]")


def completion_json(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": "gen-1",
        "model": "qwen/qwen3-coder",
        "provider": "Alibaba",
        "choices": [
            {
                "message": {"role": "assistant", "content": "answer", "reasoning": "thought"},
                "finish_reason": "length",
                "native_finish_reason": "max_tokens",
            }
        ],
        "usage": {
            "prompt_tokens": 10,
            "completion_tokens": 20,
            "cost": 0.0012,
            "prompt_tokens_details": {"cached_tokens": 4},
            "completion_tokens_details": {"reasoning_tokens": 7},
        },
    }
    body.update(overrides)
    return body


def test_completion_fields_are_read() -> None:
    c = parse_completion(completion_json())
    assert (c.content, c.reasoning, c.resolved_model, c.provider) == (
        "answer",
        "thought",
        "qwen/qwen3-coder",
        "Alibaba",
    )
    assert (c.generation_id, c.finish_reason, c.native_finish_reason) == (
        "gen-1",
        "length",
        "max_tokens",
    )
    u = c.usage
    assert (u.input_tokens, u.output_tokens, u.cached_tokens, u.reasoning_tokens) == (10, 20, 4, 7)
    assert u.cost_usd == 0.0012


@pytest.mark.parametrize(
    "body",
    [
        pytest.param([], id="not-an-object"),
        pytest.param(completion_json(choices=[]), id="no-choices"),
        pytest.param(completion_json(model=""), id="no-model"),
        pytest.param(completion_json(choices=[{"finish_reason": "stop"}]), id="no-message"),
    ],
)
def test_malformed_completion_is_a_bad_response(body: Any) -> None:
    with pytest.raises(UpstreamBadResponseError):
        parse_completion(body)


def test_usage_without_cost_leaves_cost_unset_and_ignores_junk() -> None:
    usage = parse_usage({"prompt_tokens": "many", "completion_tokens": True, "cost": "free"})
    assert (usage.input_tokens, usage.output_tokens, usage.cost_usd) == (0, 0, None)


def test_upstream_error_body_is_mapped_and_redacted() -> None:
    payload = {
        "error": {
            "code": 403,
            "message": f"flagged; key {SECRET}",
            "metadata": {"reasons": ["self-harm"], "provider_name": "Mod", "flagged_input": "x"},
        }
    }
    error = upstream_error(403, payload, retry_after_s=None, redact=redact)
    assert error.code == grpc.StatusCode.PERMISSION_DENIED
    assert SECRET not in error.message and "[REDACTED]" in error.message
    assert error.metadata["moderation_reasons"] == "self-harm"
    assert error.metadata["provider_name"] == "Mod"
    assert "flagged_input" not in error.metadata


def test_error_inside_a_200_uses_the_error_code() -> None:
    error = upstream_error(
        200, {"error": {"code": 429, "message": "slow down"}}, retry_after_s=None, redact=redact
    )
    assert error.status == 429 and error.reason == "UPSTREAM_RATE_LIMITED"


def test_non_json_error_body_still_maps_by_status() -> None:
    error = upstream_error(502, None, retry_after_s=2.0, redact=redact)
    assert error.reason == "UPSTREAM_BAD_GATEWAY" and error.retry_after_s == 2.0
    assert "502" in error.message


@pytest.mark.parametrize(
    ("status", "code"),
    [
        pytest.param(400, grpc.StatusCode.INVALID_ARGUMENT, id="400"),
        pytest.param(401, grpc.StatusCode.UNAUTHENTICATED, id="401"),
        pytest.param(402, grpc.StatusCode.FAILED_PRECONDITION, id="402"),
        pytest.param(403, grpc.StatusCode.PERMISSION_DENIED, id="403"),
        pytest.param(404, grpc.StatusCode.NOT_FOUND, id="404"),
        pytest.param(408, grpc.StatusCode.DEADLINE_EXCEEDED, id="408"),
        pytest.param(429, grpc.StatusCode.RESOURCE_EXHAUSTED, id="429"),
        pytest.param(502, grpc.StatusCode.UNAVAILABLE, id="502"),
        pytest.param(503, grpc.StatusCode.UNAVAILABLE, id="503"),
        pytest.param(504, grpc.StatusCode.UNAVAILABLE, id="504"),
        pytest.param(413, grpc.StatusCode.FAILED_PRECONDITION, id="413-other-client-error"),
        pytest.param(422, grpc.StatusCode.FAILED_PRECONDITION, id="422-other-client-error"),
        pytest.param(302, grpc.StatusCode.UNAVAILABLE, id="302-redirect"),
    ],
)
def test_http_status_table(status: int, code: grpc.StatusCode) -> None:
    assert http_status_mapping(status)[0] == code


def test_status_proto_carries_error_info_retry_info_and_bad_request() -> None:
    error = InvalidRequestError([FieldViolation("messages[0].role", "bad role")])
    status = to_status_proto(error)
    assert status.code == grpc.StatusCode.INVALID_ARGUMENT.value[0]
    kinds = [d.TypeName() for d in status.details]
    assert kinds == ["google.rpc.ErrorInfo", "google.rpc.BadRequest"]
    overloaded = to_status_proto(RouterOverloadedError("busy", retry_after_s=1.5))
    retry = error_details_pb2.RetryInfo()
    overloaded.details[1].Unpack(retry)
    assert retry.retry_delay.seconds == 1 and retry.retry_delay.nanos == 500_000_000


def test_http_error_keeps_status_in_metadata() -> None:
    error = UpstreamHTTPError(404, "no endpoints")
    assert error.metadata["http_status"] == "404" and error.reason == "UPSTREAM_NO_ENDPOINTS"


def test_stream_accumulator_builds_the_completion() -> None:
    acc = StreamAccumulator(redact)
    pieces = [
        acc.feed(
            {
                "id": "gen-9",
                "model": "m/x",
                "provider": "P",
                "choices": [{"delta": {"content": "Hel"}}],
            }
        ),
        acc.feed({"choices": [{"delta": {"reasoning": "think"}}]}),
        acc.feed({"choices": [{"delta": {"content": "lo"}, "finish_reason": "stop"}]}),
        acc.feed(
            {"choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 2, "cost": 0.5}}
        ),
    ]
    assert [p.delta for p in pieces] == ["Hel", "", "lo", ""]
    assert pieces[1].reasoning_delta == "think"
    c = acc.finish()
    assert (c.content, c.reasoning, c.resolved_model, c.finish_reason) == (
        "Hello",
        "think",
        "m/x",
        "stop",
    )
    assert (c.usage.input_tokens, c.usage.output_tokens, c.usage.cost_usd) == (3, 2, 0.5)


def test_stream_error_chunk_raises_with_redacted_message() -> None:
    acc = StreamAccumulator(redact)
    acc.feed({"model": "m/x", "choices": [{"delta": {"content": "a"}}]})
    with pytest.raises(UpstreamStreamError) as caught:
        acc.feed(
            {
                "error": {"code": 502, "message": f"boom {SECRET}"},
                "choices": [{"finish_reason": "error"}],
            }
        )
    assert SECRET not in caught.value.message
    assert caught.value.metadata["deltas_sent"] == "1"


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        pytest.param(None, None, id="absent"),
        pytest.param("3", 3.0, id="seconds"),
        pytest.param("0.5", 0.5, id="fraction"),
        pytest.param("-4", 0.0, id="negative-clamped"),
        pytest.param("soon", None, id="garbage"),
        pytest.param(email.utils.formatdate(1_000_010, usegmt=True), 10.0, id="http-date"),
    ],
)
def test_retry_after_parsing(header: str | None, seconds: float | None) -> None:
    assert parse_retry_after(header, now=1_000_000) == seconds


def test_backoff_grows_is_capped_and_jittered() -> None:
    policy = RetryPolicy(base_delay_s=0.25, max_delay_s=1.0)
    assert policy.backoff(1, 1.0) == 0.25
    assert policy.backoff(2, 1.0) == 0.5
    assert policy.backoff(5, 1.0) == 1.0
    assert policy.backoff(2, 0.0) == 0.25  # jitter never drops below half the ceiling
