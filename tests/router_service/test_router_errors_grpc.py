"""Upstream failures -> gRPC codes with google.rpc details; retries; deadline; cancellation."""

from __future__ import annotations

import asyncio
import logging
import math
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import struct_pb2
from llmcouncil.router.v1 import router_service_pb2 as pb
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from openrouter_sim import Fault, SimServer
from router_service.errors import ERROR_DOMAIN
from router_service.upstream_http import HTTP_CLIENTS
from tests.router_service.router_helpers import (
    API_KEY,
    Details,
    RouterHarness,
    StartRouter,
    chat_requests,
    chat_spans,
    decode_error,
    seat_request,
)

TIMEOUT_S = 15.0
DATA = Path(__file__).resolve().parents[2] / "router_service" / "data"


@pytest.fixture(params=HTTP_CLIENTS)
def http_client(request: pytest.FixtureRequest) -> str:
    """Every test here runs once per upstream HTTP library."""
    return str(request.param)


async def wait_for_upstream_requests(sim: SimServer, count: int) -> None:
    for _ in range(500):  # up to 5 s in 10 ms steps
        if len(chat_requests(sim)) >= count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"the simulator saw {len(chat_requests(sim))} requests, wanted {count}")


async def route_seat_against_http_error(
    router: RouterHarness, sim: SimServer, status: int
) -> Details:
    """RouteSeat while every upstream call answers `status`; the decoded gRPC error."""
    sim.inject(Fault(kind="http_error", status=status, count=-1))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await router.stub.RouteSeat(seat_request(), timeout=TIMEOUT_S)
    return decode_error(caught.value)


@pytest.mark.parametrize(
    ("status", "code", "reason"),
    [
        pytest.param(400, grpc.StatusCode.INVALID_ARGUMENT, "UPSTREAM_BAD_REQUEST", id="400"),
        pytest.param(401, grpc.StatusCode.UNAUTHENTICATED, "UPSTREAM_UNAUTHENTICATED", id="401"),
        pytest.param(
            402, grpc.StatusCode.FAILED_PRECONDITION, "UPSTREAM_INSUFFICIENT_CREDITS", id="402"
        ),
        pytest.param(403, grpc.StatusCode.PERMISSION_DENIED, "UPSTREAM_MODERATION", id="403"),
        pytest.param(404, grpc.StatusCode.NOT_FOUND, "UPSTREAM_NO_ENDPOINTS", id="404"),
        pytest.param(500, grpc.StatusCode.UNAVAILABLE, "UPSTREAM_SERVER_ERROR", id="500"),
    ],
)
async def test_non_retryable_status_maps_and_calls_upstream_once(
    router: RouterHarness, sim: SimServer, status: int, code: grpc.StatusCode, reason: str
) -> None:
    details = await route_seat_against_http_error(router, sim, status)
    assert details.code == code
    assert details.error_info is not None
    assert details.error_info.reason == reason
    assert details.error_info.domain == ERROR_DOMAIN == "router.llmcouncil.io"
    assert details.error_info.metadata["openrouter_code"] == str(status)
    assert details.error_info.metadata["http_status"] == str(status)
    assert details.error_info.metadata["attempts"] == "1"
    assert len(chat_requests(sim)) == 1


@pytest.mark.parametrize(
    ("status", "code", "reason"),
    [
        pytest.param(408, grpc.StatusCode.DEADLINE_EXCEEDED, "UPSTREAM_TIMEOUT", id="408"),
        pytest.param(429, grpc.StatusCode.RESOURCE_EXHAUSTED, "UPSTREAM_RATE_LIMITED", id="429"),
        pytest.param(502, grpc.StatusCode.UNAVAILABLE, "UPSTREAM_BAD_GATEWAY", id="502"),
        pytest.param(503, grpc.StatusCode.UNAVAILABLE, "UPSTREAM_UNAVAILABLE", id="503"),
    ],
)
async def test_retryable_status_is_tried_max_attempts_times(
    router: RouterHarness, sim: SimServer, status: int, code: grpc.StatusCode, reason: str
) -> None:
    details = await route_seat_against_http_error(router, sim, status)
    assert (details.code, details.error_info.reason) == (code, reason)  # type: ignore[union-attr]
    assert details.error_info.metadata["attempts"] == "3"  # type: ignore[union-attr]
    assert len(chat_requests(sim)) == 3


async def test_retryable_failure_then_success_reports_attempts(
    router: RouterHarness, sim: SimServer, span_exporter: InMemorySpanExporter
) -> None:
    sim.inject(Fault(kind="http_error", status=502, count=1))
    response = await router.stub.RouteSeat(seat_request(), timeout=TIMEOUT_S)
    assert response.attempts == 2 and response.resolved_model
    assert len(chat_requests(sim)) == 2
    (span,) = chat_spans(span_exporter.get_finished_spans())
    assert span.attributes["llm_council.attempts"] == 2  # type: ignore[index]


async def test_max_attempts_setting_caps_retries(start_router: StartRouter, sim: SimServer) -> None:
    harness = await start_router(max_attempts=1)
    sim.inject(Fault(kind="http_error", status=503, count=-1))
    with pytest.raises(grpc.aio.AioRpcError):
        await harness.stub.RouteSeat(seat_request(), timeout=TIMEOUT_S)
    assert len(chat_requests(sim)) == 1


async def test_retry_after_is_honoured(router: RouterHarness, sim: SimServer) -> None:
    sim.inject(Fault(kind="http_error", status=429, retry_after_s=1.0, count=1))
    response = await router.stub.RouteSeat(seat_request(), timeout=TIMEOUT_S)
    first, second = chat_requests(sim)
    assert response.attempts == 2
    assert second.time - first.time >= 0.95  # waited the Retry-After (1 s), not the backoff


async def test_retry_after_beyond_the_deadline_gives_up_at_once_with_retry_info(
    router: RouterHarness, sim: SimServer
) -> None:
    sim.inject(Fault(kind="http_error", status=429, retry_after_s=30.0, count=-1))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await router.stub.RouteSeat(seat_request(), timeout=3.0)
    details = decode_error(caught.value)
    assert details.code == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert details.retry_delay_s == pytest.approx(30.0)
    assert len(chat_requests(sim)) == 1


async def test_503_retry_after_is_passed_on_as_retry_info(
    start_router: StartRouter, sim: SimServer
) -> None:
    harness = await start_router(max_attempts=1)
    sim.inject(Fault(kind="http_error", status=503, retry_after_s=7.0, count=1))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await harness.stub.RouteSeat(seat_request(), timeout=TIMEOUT_S)
    details = decode_error(caught.value)
    assert details.code == grpc.StatusCode.UNAVAILABLE
    assert details.retry_delay_s == pytest.approx(7.0)


async def test_moderation_reasons_are_kept(router: RouterHarness, sim: SimServer) -> None:
    sim.inject(
        Fault(
            kind="http_error",
            status=403,
            metadata={
                "reasons": ["violence", "harassment"],
                "flagged_input": "x",
                "provider_name": "P",
            },
        )
    )
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await router.stub.RouteSeat(seat_request(), timeout=TIMEOUT_S)
    info = decode_error(caught.value).error_info
    assert info is not None
    assert info.metadata["moderation_reasons"] == "violence,harassment"
    assert info.metadata["provider_name"] == "P"


@pytest.mark.parametrize(
    ("fault", "reason", "upstream_calls"),
    [
        pytest.param(Fault(kind="reset", count=-1), "UPSTREAM_CONNECTION_FAILED", 3, id="reset"),
        pytest.param(
            Fault(kind="reset_mid_body", count=-1), "UPSTREAM_CONNECTION_FAILED", 3, id="reset-mid"
        ),
        pytest.param(Fault(kind="truncated_json"), "UPSTREAM_BAD_RESPONSE", 1, id="truncated"),
        pytest.param(Fault(kind="non_json"), "UPSTREAM_BAD_RESPONSE", 1, id="html"),
    ],
)
async def test_broken_answers_are_unavailable(
    router: RouterHarness, sim: SimServer, fault: Fault, reason: str, upstream_calls: int
) -> None:
    sim.inject(fault)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await router.stub.RouteSeat(seat_request(), timeout=TIMEOUT_S)
    details = decode_error(caught.value)
    assert details.code == grpc.StatusCode.UNAVAILABLE
    assert details.error_info.reason == reason  # type: ignore[union-attr]
    assert len(chat_requests(sim)) == upstream_calls


async def test_one_connection_reset_is_retried(router: RouterHarness, sim: SimServer) -> None:
    sim.inject(Fault(kind="reset", count=1))
    response = await router.stub.RouteSeat(seat_request(), timeout=TIMEOUT_S)
    assert response.attempts == 2


async def test_connection_refused_is_unavailable(start_router: StartRouter, sim: SimServer) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    harness = await start_router(base_url=f"http://127.0.0.1:{closed_port}/api/v1")
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await harness.stub.RouteSeat(seat_request(), timeout=TIMEOUT_S)
    details = decode_error(caught.value)
    assert details.code == grpc.StatusCode.UNAVAILABLE
    assert details.error_info.reason == "UPSTREAM_CONNECTION_FAILED"  # type: ignore[union-attr]
    assert details.error_info.metadata["attempts"] == "3"  # type: ignore[union-attr]


async def test_tier_timeout_bounds_the_whole_call(
    start_router: StartRouter, sim: SimServer, tmp_path: Path, span_exporter: InMemorySpanExporter
) -> None:
    text = (DATA / "tiers.yaml").read_text().replace("    timeout_s: 60", "    timeout_s: 0.5", 1)
    (tmp_path / "tiers.yaml").write_text(text)
    harness = await start_router(config_dir=tmp_path)
    sim.inject(Fault(kind="slow_body", delay_s=2.0))  # every read makes progress; total is slow
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await harness.stub.RouteSeat(seat_request(), timeout=TIMEOUT_S)
    details = decode_error(caught.value)
    assert details.code == grpc.StatusCode.DEADLINE_EXCEEDED
    assert details.error_info.reason == "DEADLINE_EXCEEDED"  # type: ignore[union-attr]
    (span,) = chat_spans(span_exporter.get_finished_spans())
    assert span.attributes["error.type"] == "DEADLINE_EXCEEDED"  # type: ignore[index]


async def test_caller_deadline_bounds_the_call(router: RouterHarness, sim: SimServer) -> None:
    sim.inject(Fault(kind="slow_headers", delay_s=2.0))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await router.stub.RouteSeat(seat_request(), timeout=0.5)
    assert caught.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert len(chat_requests(sim)) == 1


async def test_cancelled_call_aborts_the_upstream_request(
    router: RouterHarness, sim: SimServer, span_exporter: InMemorySpanExporter
) -> None:
    sim.inject(Fault(kind="slow_headers", delay_s=2.0))
    call = router.stub.RouteSeat(seat_request(), timeout=TIMEOUT_S)
    await wait_for_upstream_requests(sim, 1)
    assert router.server.limiter.active == 1
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call
    for _ in range(200):  # the server notices the cancellation asynchronously (up to 2 s)
        if chat_spans(span_exporter.get_finished_spans()):
            break
        await asyncio.sleep(0.01)
    (span,) = chat_spans(span_exporter.get_finished_spans())
    assert span.attributes["error.type"] == "CancelledError"  # type: ignore[index]
    assert span.status.status_code == StatusCode.ERROR
    assert router.server.limiter.active == 0
    pending = [t for t in asyncio.all_tasks() if "RouteSeat" in repr(t.get_coro())]
    assert pending == []


def _struct(**values: Any) -> struct_pb2.Struct:
    out = struct_pb2.Struct()
    out.update(values)
    return out


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        pytest.param(seat_request(model=""), "model", id="no-model"),
        pytest.param(seat_request(messages=[]), "messages", id="no-messages"),
        pytest.param(
            seat_request(
                messages=[
                    pb.ChatMessage(role="user", content="a"),
                    pb.ChatMessage(role="assistant", content="b"),
                    pb.ChatMessage(role="robot", content="c"),
                ]
            ),
            "messages[2].role",
            id="unknown-role",
        ),
        pytest.param(seat_request(min_coding_score=1.5), "min_coding_score", id="score-range"),
        pytest.param(seat_request(min_coding_score=math.nan), "min_coding_score", id="score-nan"),
        pytest.param(seat_request(min_coding_score=-math.inf), "min_coding_score", id="score-inf"),
        pytest.param(seat_request(tier=9), "tier", id="unknown-tier"),
        pytest.param(seat_request(tier=pb.TIER_UNSPECIFIED), "tier", id="pareto-without-tier"),
        pytest.param(
            seat_request(messages=[pb.ChatMessage(role="user", content="x" * 1_000_001)]),
            "messages",
            id="oversized",
        ),
        pytest.param(seat_request(temperature=3.0), "temperature", id="temperature"),
        pytest.param(seat_request(top_p=0.0), "top_p", id="top-p"),
        pytest.param(seat_request(max_tokens=0), "max_tokens", id="max-tokens"),
        pytest.param(
            seat_request(extra_body=_struct(plugins=[])), "extra_body.plugins", id="reserved-key"
        ),
    ],
)
async def test_bad_input_is_invalid_argument_and_nothing_goes_upstream(
    start_router: StartRouter, sim: SimServer, request_: pb.RouteSeatRequest, field: str
) -> None:
    harness = await start_router(max_message_bytes=8 * 1024 * 1024)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await harness.stub.RouteSeat(request_, timeout=TIMEOUT_S)
    details = decode_error(caught.value)
    assert details.code == grpc.StatusCode.INVALID_ARGUMENT
    assert details.error_info.reason == "INVALID_REQUEST"  # type: ignore[union-attr]
    assert field in details.fields
    assert chat_requests(sim) == []


async def test_invalid_request_span_records_the_error(
    router: RouterHarness, span_exporter: InMemorySpanExporter
) -> None:
    with pytest.raises(grpc.aio.AioRpcError):
        await router.stub.RouteSeat(seat_request(messages=[]), timeout=TIMEOUT_S)
    (span,) = chat_spans(span_exporter.get_finished_spans())
    assert span.attributes["error.type"] == "INVALID_REQUEST"  # type: ignore[index]
    assert span.status.status_code == StatusCode.ERROR
    assert "gen_ai.response.model" not in (span.attributes or {})
    assert not span.events  # error.type says it; no stack trace event in the span


async def test_bad_review_is_invalid_argument(router: RouterHarness) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await router.stub.RecordSeatReview(
            pb.RecordSeatReviewRequest(session_id="s", reviewer="r", score=math.inf),
            timeout=TIMEOUT_S,
        )
    details = decode_error(caught.value)
    assert details.code == grpc.StatusCode.INVALID_ARGUMENT
    assert {"seat_id", "score"} <= set(details.fields)


async def test_api_key_never_reaches_logs_errors_or_spans(
    router: RouterHarness,
    sim: SimServer,
    caplog: pytest.LogCaptureFixture,
    span_exporter: InMemorySpanExporter,
) -> None:
    caplog.set_level(logging.DEBUG)
    leak = f"invalid key {API_KEY} supplied"
    sim.inject(Fault(kind="http_error", status=401, message=leak))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await router.stub.RouteSeat(seat_request(), timeout=TIMEOUT_S)
    details = decode_error(caught.value)
    assert API_KEY not in details.message and "[REDACTED]" in details.message
    sim.inject(Fault(kind="http_error", status=503, message=leak, count=2))
    await router.stub.RouteSeat(seat_request(), timeout=TIMEOUT_S)
    stream = router.stub.StreamSeat(pb.StreamSeatRequest(seat=seat_request()), timeout=TIMEOUT_S)
    assert [m async for m in stream]
    assert caplog.records, "expected DEBUG logs from the run"
    assert API_KEY not in caplog.text
    for span in span_exporter.get_finished_spans():
        assert API_KEY not in str(dict(span.attributes or {}))


async def test_oversized_ids_are_capped_in_the_span_of_a_rejected_call(
    router: RouterHarness, span_exporter: InMemorySpanExporter
) -> None:
    request = seat_request(model="m" * 10_000, session_id="s" * 10_000)
    with pytest.raises(grpc.aio.AioRpcError):
        await router.stub.RouteSeat(request, timeout=TIMEOUT_S)
    (span,) = chat_spans(span_exporter.get_finished_spans())
    attrs = dict(span.attributes or {})
    assert len(str(attrs["gen_ai.request.model"])) == 256
    assert len(str(attrs["llm_council.session.id"])) == 256
    assert len(span.name) <= len("chat ") + 256
