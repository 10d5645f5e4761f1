"""One access-log line per call, joined to its span and to the caller by the trace id."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from llmcouncil.router.v1 import router_service_pb2 as pb
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from openrouter_sim import Fault, SimServer
from router_service.access_log import ACCESS_LOGGER
from router_service.runner import log_handler
from tests.router_service.router_helpers import (
    API_KEY,
    RouterHarness,
    chat_spans,
    decode_error,
    make_settings,
    seat_request,
)

TIMEOUT_S = 15.0
CONTENT = "the private question 8c1f"


class JsonLines:
    """The router's real JSON log handler writing into memory."""

    def __init__(self, stream: io.StringIO) -> None:
        self._stream = stream

    def entries(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self._stream.getvalue().splitlines()]

    def access(self, method: str) -> dict[str, Any]:
        lines = [e for e in self.entries() if e["logger"] == ACCESS_LOGGER]
        assert [e["rpc_method"] for e in lines] == [method]
        return lines[0]

    def text(self) -> str:
        return self._stream.getvalue()


@pytest.fixture
def json_logs() -> Iterator[JsonLines]:
    stream = io.StringIO()
    handler = log_handler(make_settings("http://127.0.0.1:9", log_format="json"), stream)
    logger = logging.getLogger("router_service")
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield JsonLines(stream)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)


def ids(span: ReadableSpan) -> tuple[str, str]:
    assert span.context is not None
    return format(span.context.trace_id, "032x"), format(span.context.span_id, "016x")


def request_ids(metadata: Any) -> list[str]:
    return [value for key, value in metadata or () if key == "x-request-id"]


async def test_route_seat_line_joins_response_span_and_request_id_metadata(
    router: RouterHarness,
    sim: SimServer,
    json_logs: JsonLines,
    span_exporter: InMemorySpanExporter,
) -> None:
    request = seat_request(messages=[pb.ChatMessage(role="user", content=CONTENT)])
    call = router.stub.RouteSeat(request, timeout=TIMEOUT_S)
    response = await call
    (span,) = chat_spans(span_exporter.get_finished_spans())
    trace_id, span_id = ids(span)
    line = json_logs.access("RouteSeat")
    assert line["level"] == "INFO"
    assert line["trace_id"] == response.trace_id == trace_id
    assert line["span_id"] == span_id
    assert line["request_id"] == trace_id
    assert line["requested_model"] == "openrouter/pareto-code"
    assert line["tier"] == "balanced"
    assert line["resolved_model"] == response.resolved_model == sim.resolve(0.5)
    assert line["pareto_band"] == "medium"
    assert line["grpc_code"] == "OK" and line["error_reason"] == ""
    assert line["attempts"] == 1
    assert line["latency_ms"] > 0
    assert request_ids(await call.initial_metadata()) == [trace_id]
    assert request_ids(await call.trailing_metadata()) == [trace_id]
    assert CONTENT not in json_logs.text() and API_KEY not in json_logs.text()


async def test_failed_call_line_warning_and_trailer_carry_the_trace_id(
    router: RouterHarness,
    sim: SimServer,
    json_logs: JsonLines,
    span_exporter: InMemorySpanExporter,
) -> None:
    sim.inject(Fault(kind="http_error", status=400, count=-1))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await router.stub.RouteSeat(seat_request(), timeout=TIMEOUT_S)
    assert decode_error(caught.value).code == grpc.StatusCode.INVALID_ARGUMENT
    (span,) = chat_spans(span_exporter.get_finished_spans())
    trace_id, span_id = ids(span)
    assert request_ids(caught.value.trailing_metadata()) == [trace_id]
    assert request_ids(caught.value.initial_metadata()) == [trace_id]
    line = json_logs.access("RouteSeat")
    assert (line["trace_id"], line["span_id"]) == (trace_id, span_id)
    assert line["grpc_code"] == "INVALID_ARGUMENT"
    assert line["error_reason"] == "UPSTREAM_BAD_REQUEST"
    assert line["attempts"] == 1 and line["resolved_model"] == ""
    (warning,) = [e for e in json_logs.entries() if e["level"] == "WARNING"]
    assert warning["message"].startswith("seat call failed: UPSTREAM_BAD_REQUEST")
    assert warning["trace_id"] == warning["request_id"] == trace_id


async def test_invalid_request_is_logged_with_its_code_and_reason(
    router: RouterHarness, json_logs: JsonLines, span_exporter: InMemorySpanExporter
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await router.stub.RouteSeat(seat_request(messages=[]), timeout=TIMEOUT_S)
    (span,) = chat_spans(span_exporter.get_finished_spans())
    line = json_logs.access("RouteSeat")
    assert line["grpc_code"] == "INVALID_ARGUMENT"
    assert line["error_reason"] == "INVALID_REQUEST"
    assert line["attempts"] == 0 and line["pareto_band"] == ""
    assert line["trace_id"] == ids(span)[0]
    assert request_ids(caught.value.trailing_metadata()) == [line["trace_id"]]


async def test_stream_seat_sends_request_id_before_the_first_delta_and_logs_once(
    router: RouterHarness, json_logs: JsonLines, span_exporter: InMemorySpanExporter
) -> None:
    call = router.stub.StreamSeat(
        pb.StreamSeatRequest(seat=seat_request(tier=pb.TIER_HIGH)), timeout=TIMEOUT_S
    )
    initial = request_ids(await call.initial_metadata())
    pieces = [piece async for piece in call]
    summary = pieces[-1].summary
    (span,) = chat_spans(span_exporter.get_finished_spans())
    trace_id, span_id = ids(span)
    assert initial == [summary.trace_id] == [trace_id]
    assert request_ids(await call.trailing_metadata()) == [trace_id]
    line = json_logs.access("StreamSeat")
    assert (line["trace_id"], line["span_id"]) == (trace_id, span_id)
    assert line["grpc_code"] == "OK" and line["tier"] == "high"
    assert line["resolved_model"] == summary.resolved_model
    assert line["pareto_band"] == "high"


async def test_record_seat_review_line_joins_its_evaluation_span(
    router: RouterHarness, json_logs: JsonLines, span_exporter: InMemorySpanExporter
) -> None:
    review = pb.RecordSeatReviewRequest(
        session_id="council-1",
        seat_id="seat-p",
        reviewer="anthropic/claude-opus-4.7",
        score=8.5,
        tier=pb.TIER_HIGH,
        requested_model="openrouter/pareto-code",
        resolved_model="qwen/qwen3-coder",
    )
    call = router.stub.RecordSeatReview(review, timeout=TIMEOUT_S)
    response = await call
    (span,) = span_exporter.get_finished_spans()
    trace_id, span_id = ids(span)
    line = json_logs.access("RecordSeatReview")
    assert line["trace_id"] == response.trace_id == trace_id and line["span_id"] == span_id
    assert line["grpc_code"] == "OK" and line["tier"] == "high"
    assert line["resolved_model"] == "qwen/qwen3-coder"
    assert request_ids(await call.trailing_metadata()) == [trace_id]


async def test_invalid_review_is_logged_without_a_trace(
    router: RouterHarness, json_logs: JsonLines
) -> None:
    with pytest.raises(grpc.aio.AioRpcError):
        await router.stub.RecordSeatReview(
            pb.RecordSeatReviewRequest(session_id="s", reviewer="r", score=1.0),
            timeout=TIMEOUT_S,
        )
    line = json_logs.access("RecordSeatReview")
    assert line["grpc_code"] == "INVALID_ARGUMENT"
    assert line["error_reason"] == "INVALID_REQUEST"
    assert line["trace_id"] == ""


async def test_text_format_shows_the_trace_id_on_the_warning_and_access_lines(
    router: RouterHarness, sim: SimServer, span_exporter: InMemorySpanExporter
) -> None:
    stream = io.StringIO()
    handler = log_handler(make_settings("http://127.0.0.1:9", log_format="text"), stream)
    logger = logging.getLogger("router_service")
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        sim.inject(Fault(kind="http_error", status=503, count=-1))
        with pytest.raises(grpc.aio.AioRpcError):
            await router.stub.RouteSeat(seat_request(), timeout=TIMEOUT_S)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)
    trace_id, _ = ids(chat_spans(span_exporter.get_finished_spans())[0])
    lines = stream.getvalue().splitlines()
    (warning,) = [line for line in lines if " WARNING " in line]
    (access,) = [line for line in lines if ACCESS_LOGGER in line]
    assert "seat call failed: UPSTREAM_UNAVAILABLE" in warning
    assert f"trace_id={trace_id}" in warning
    assert "RouteSeat UNAVAILABLE" in access and f"request_id={trace_id}" in access
    assert "grpc_code=UNAVAILABLE error_reason=UPSTREAM_UNAVAILABLE attempts=3" in access


async def test_sdk_disabled_sends_no_request_id_and_logs_an_empty_trace_id(
    sim: SimServer, json_logs: JsonLines
) -> None:
    from llmcouncil.router.v1 import router_service_pb2_grpc as pb_grpc

    from router_service.server import create_server

    server, port = await create_server(
        make_settings(sim.base_url), environ={"OTEL_SDK_DISABLED": "true"}
    )
    await server.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            call = pb_grpc.RouterServiceStub(channel).RouteSeat(seat_request(), timeout=TIMEOUT_S)
            assert (await call).resolved_model
            assert request_ids(await call.initial_metadata()) == []
            assert request_ids(await call.trailing_metadata()) == []
    finally:
        await server.stop(1.0)
    line = json_logs.access("RouteSeat")
    assert line["grpc_code"] == "OK" and line["trace_id"] == line["span_id"] == ""
    assert server.metrics.provider is None
