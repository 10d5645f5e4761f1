"""StreamSeat: deltas as they arrive, one summary, mid-stream errors after the deltas."""

from __future__ import annotations

import grpc
import pytest
from llmcouncil.router.v1 import router_service_pb2 as pb
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from openrouter_sim import Fault, SimServer
from router_service.upstream_http import HTTP_CLIENTS
from tests.router_service.router_helpers import (
    PARETO,
    Details,
    RouterHarness,
    chat_requests,
    chat_spans,
    decode_error,
    seat_request,
)

TIMEOUT_S = 15.0


@pytest.fixture(params=HTTP_CLIENTS)
def http_client(request: pytest.FixtureRequest) -> str:
    """Every test here runs once per upstream HTTP library."""
    return str(request.param)


def stream_request(**fields: object) -> pb.StreamSeatRequest:
    return pb.StreamSeatRequest(seat=seat_request(**fields))  # type: ignore[arg-type]


async def stream_until_error(router: RouterHarness) -> Details:
    """StreamSeat that must fail after relaying only deltas; the decoded gRPC error."""
    received: list[pb.StreamSeatResponse] = []
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        async for message in router.stub.StreamSeat(stream_request(), timeout=TIMEOUT_S):
            received.append(message)
    assert received and all(m.WhichOneof("event") == "delta" for m in received)
    return decode_error(caught.value)


async def test_stream_relays_deltas_then_one_summary(
    router: RouterHarness, sim: SimServer, span_exporter: InMemorySpanExporter
) -> None:
    request = stream_request(session_id="council-s", seat_id="seat-s")
    messages = [m async for m in router.stub.StreamSeat(request, timeout=TIMEOUT_S)]
    deltas = [m.delta for m in messages if m.WhichOneof("event") == "delta"]
    summaries = [m.summary for m in messages if m.WhichOneof("event") == "summary"]
    assert len(deltas) > 1 and len(summaries) == 1
    assert messages[-1].WhichOneof("event") == "summary"
    summary = summaries[0]
    assert summary.content == "".join(deltas)
    assert summary.resolved_model == sim.resolve(min_coding_score=0.5, session_id="council-s")
    assert summary.pareto.band == pb.PARETO_BAND_MEDIUM
    assert summary.usage.output_tokens > 0 and summary.usage.HasField("cost_usd")
    assert summary.routing.strategy == "pareto"
    assert summary.HasField("time_to_first_token")
    assert 0 < summary.time_to_first_token.ToNanoseconds() <= summary.latency.ToNanoseconds()
    assert summary.finish_reason == "stop"
    assert summary.generation_id.startswith("gen-")
    assert (summary.session_id, summary.seat_id, summary.attempts) == ("council-s", "seat-s", 1)
    (sent,) = chat_requests(sim)
    assert sent.body["stream"] is True
    assert sent.body["plugins"] == [{"id": "pareto-router", "min_coding_score": 0.5}]
    (span,) = chat_spans(span_exporter.get_finished_spans())
    attrs = dict(span.attributes or {})
    assert attrs["llm_council.streaming"] is True
    assert isinstance(ttft_ms := attrs["llm_council.time_to_first_token_ms"], float)
    assert ttft_ms > 0
    assert attrs["gen_ai.response.model"] == summary.resolved_model
    assert attrs["gen_ai.usage.output_tokens"] == summary.usage.output_tokens
    assert format(span.context.trace_id, "032x") == summary.trace_id


async def test_mid_stream_error_is_unavailable_after_the_deltas(
    router: RouterHarness, sim: SimServer, span_exporter: InMemorySpanExporter
) -> None:
    sim.inject(Fault(kind="stream_error", message="provider fell over"))
    details = await stream_until_error(router)
    assert details.code == grpc.StatusCode.UNAVAILABLE
    assert details.error_info.reason == "UPSTREAM_STREAM_ERROR"  # type: ignore[union-attr]
    assert "provider fell over" in details.message
    assert len(chat_requests(sim)) == 1  # no retry after the first delta
    (span,) = chat_spans(span_exporter.get_finished_spans())
    assert span.attributes["error.type"] == "UPSTREAM_STREAM_ERROR"  # type: ignore[index]


async def test_stream_cut_before_done_is_unavailable(router: RouterHarness, sim: SimServer) -> None:
    sim.inject(Fault(kind="sse_cut"))
    details = await stream_until_error(router)
    assert details.code == grpc.StatusCode.UNAVAILABLE
    assert details.error_info.reason == "UPSTREAM_STREAM_ERROR"  # type: ignore[union-attr]
    assert details.error_info.metadata["cause"] == "cut"  # type: ignore[union-attr]
    assert len(chat_requests(sim)) == 1


async def test_stream_reset_after_deltas_is_not_retried(
    router: RouterHarness, sim: SimServer
) -> None:
    sim.inject(Fault(kind="reset_mid_body"))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        async for _ in router.stub.StreamSeat(stream_request(), timeout=TIMEOUT_S):
            pass
    assert decode_error(caught.value).error_info.reason == "UPSTREAM_STREAM_ERROR"  # type: ignore[union-attr]
    assert len(chat_requests(sim)) == 1


async def test_stream_retries_before_the_first_delta(router: RouterHarness, sim: SimServer) -> None:
    sim.inject(Fault(kind="http_error", status=429, count=1))
    messages = [m async for m in router.stub.StreamSeat(stream_request(), timeout=TIMEOUT_S)]
    assert messages[-1].summary.attempts == 2
    assert len(chat_requests(sim)) == 2


async def test_stream_http_error_before_any_delta_maps_like_route_seat(
    router: RouterHarness, sim: SimServer
) -> None:
    sim.inject(Fault(kind="http_error", status=402))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        async for _ in router.stub.StreamSeat(stream_request(), timeout=TIMEOUT_S):
            pass
    details = decode_error(caught.value)
    assert details.code == grpc.StatusCode.FAILED_PRECONDITION
    assert details.error_info.reason == "UPSTREAM_INSUFFICIENT_CREDITS"  # type: ignore[union-attr]


async def test_stream_without_seat_is_invalid_argument(
    router: RouterHarness, sim: SimServer
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        async for _ in router.stub.StreamSeat(pb.StreamSeatRequest(), timeout=TIMEOUT_S):
            pass
    details = decode_error(caught.value)
    assert details.code == grpc.StatusCode.INVALID_ARGUMENT
    assert details.fields == ["seat"]
    assert chat_requests(sim) == []


async def test_stream_bad_seat_field_is_prefixed(router: RouterHarness, sim: SimServer) -> None:
    request = pb.StreamSeatRequest(seat=seat_request(PARETO, min_coding_score=2.0))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        async for _ in router.stub.StreamSeat(request, timeout=TIMEOUT_S):
            pass
    assert decode_error(caught.value).fields == ["seat.min_coding_score"]
    assert chat_requests(sim) == []


async def test_stream_named_model_has_no_plugin(router: RouterHarness, sim: SimServer) -> None:
    request = stream_request(model="z-ai/glm-4.6", tier=pb.TIER_QUICK)
    messages = [m async for m in router.stub.StreamSeat(request, timeout=TIMEOUT_S)]
    assert messages[-1].summary.resolved_model == "z-ai/glm-4.6"
    assert "plugins" not in chat_requests(sim)[0].body
