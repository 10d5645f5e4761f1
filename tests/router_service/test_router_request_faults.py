"""Requests the router cannot use never end UNKNOWN.

Undecodable bytes and non-finite Struct numbers are INVALID_ARGUMENT (INVALID_REQUEST);
a fault inside the router is INTERNAL (INTERNAL_ERROR) with a log line carrying the
call's trace id.
"""

from __future__ import annotations

import logging
import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import grpc
import pytest
from llmcouncil.router.v1 import router_service_pb2 as pb
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from openrouter_sim import SimServer
from router_service.access_log import LOG_FIELDS_ATTR
from router_service.config import Secret
from router_service.errors import ERROR_DOMAIN, REQUEST_ID_KEY
from router_service.server import create_server
from router_service.upstream_http import HttpAnswer, StreamingAnswer
from tests.router_service.router_helpers import (
    RouterHarness,
    StartRouter,
    chat_requests,
    chat_spans,
    decode_error,
    make_settings,
    seat_request,
)

TIMEOUT_S = 15.0
ROUTE = "/llmcouncil.router.v1.RouterService/RouteSeat"
STREAM = "/llmcouncil.router.v1.RouterService/StreamSeat"
UNDECODABLE = [
    pytest.param(b"\x0a\x03\xff\xfe\xfd", id="invalid-utf8-model"),
    pytest.param(b"\x0a\xff\xff\xff\xff\x0f", id="length-beyond-the-message"),
    pytest.param(b"\xff" * 64, id="garbage"),
]


async def call_raw(
    channel: grpc.aio.Channel, method: str, raw: bytes, metadata: tuple[tuple[str, str], ...] = ()
) -> None:
    """Send `raw` as the request bytes (no serializer), draining a stream's replies."""
    if method == STREAM:
        stream = channel.unary_stream(method, request_serializer=None, response_deserializer=None)
        async for _ in stream(raw, timeout=TIMEOUT_S, metadata=metadata):
            pass
    else:
        unary = channel.unary_unary(method, request_serializer=None, response_deserializer=None)
        await unary(raw, timeout=TIMEOUT_S, metadata=metadata)


@pytest.mark.parametrize(
    "method", [pytest.param(ROUTE, id="route"), pytest.param(STREAM, id="stream")]
)
@pytest.mark.parametrize("raw", UNDECODABLE)
async def test_undecodable_request_bytes_are_invalid_request(
    router: RouterHarness, sim: SimServer, method: str, raw: bytes
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call_raw(router.channel, method, raw)
    details = decode_error(caught.value)
    assert details.code == grpc.StatusCode.INVALID_ARGUMENT
    assert details.error_info is not None
    assert details.error_info.reason == "INVALID_REQUEST"
    assert details.error_info.domain == ERROR_DOMAIN
    assert details.error_info.metadata["method"] == method
    assert chat_requests(sim) == []
    assert (await router.stub.RouteSeat(seat_request(), timeout=TIMEOUT_S)).resolved_model


async def test_undecodable_bytes_without_the_token_are_unauthenticated(
    start_router: StartRouter,
) -> None:
    harness = await start_router(auth_token=Secret("caller-token"))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call_raw(harness.channel, ROUTE, b"\xff" * 64)
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
    with pytest.raises(grpc.aio.AioRpcError) as authorized:
        await call_raw(
            harness.channel, ROUTE, b"\xff" * 64, (("authorization", "Bearer caller-token"),)
        )
    assert authorized.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def _non_finite_seat(where: str) -> pb.RouteSeatRequest:
    request = seat_request()
    if where == "extra_body":
        request.extra_body.update({"top_k": math.nan})
    else:
        request.response_format.type = "json_schema"
        request.response_format.json_schema.update(
            {"name": "x", "schema": {"properties": {"x": {"maximum": math.inf}}}}
        )
    return request


NON_FINITE = [
    pytest.param("extra_body", "extra_body.top_k", id="extra-body-nan"),
    pytest.param(
        "json_schema",
        "response_format.json_schema.schema.properties.x.maximum",
        id="json-schema-inf",
    ),
]


@pytest.mark.parametrize(("where", "field"), NON_FINITE)
async def test_non_finite_struct_number_is_invalid_argument_and_nothing_goes_upstream(
    router: RouterHarness, sim: SimServer, where: str, field: str
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await router.stub.RouteSeat(_non_finite_seat(where), timeout=TIMEOUT_S)
    details = decode_error(caught.value)
    assert details.code == grpc.StatusCode.INVALID_ARGUMENT
    assert details.error_info.reason == "INVALID_REQUEST"  # type: ignore[union-attr]
    assert details.fields == [field]
    assert chat_requests(sim) == []


@pytest.mark.parametrize(("where", "field"), NON_FINITE)
async def test_stream_non_finite_struct_number_is_invalid_argument(
    router: RouterHarness, sim: SimServer, where: str, field: str
) -> None:
    request = pb.StreamSeatRequest(seat=_non_finite_seat(where))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        async for _ in router.stub.StreamSeat(request, timeout=TIMEOUT_S):
            pass
    details = decode_error(caught.value)
    assert details.code == grpc.StatusCode.INVALID_ARGUMENT
    assert details.fields == [f"seat.{field}"]
    assert chat_requests(sim) == []


class FaultyUpstream:
    """An upstream HTTP client that fails every request with an exception no router code
    expects (the seam's own failures are mapped; this one must end INTERNAL)."""

    async def post(self, body: bytes, timeout_s: float) -> HttpAnswer:
        raise RuntimeError("transport fault")

    @asynccontextmanager
    async def stream(self, body: bytes, timeout_s: float) -> AsyncIterator[StreamingAnswer]:
        raise RuntimeError("transport fault")
        yield  # an async generator, never reached

    async def aclose(self) -> None:
        return None


@pytest.fixture
async def faulty_router(
    sim: SimServer, tracer_provider: TracerProvider, meter_provider: MeterProvider
) -> AsyncIterator[RouterHarness]:
    settings = make_settings(sim.base_url)
    server, port = await create_server(
        settings,
        tracer_provider=tracer_provider,
        meter_provider=meter_provider,
        upstream_http=FaultyUpstream(),
    )
    await server.start()
    harness = RouterHarness(server, port, grpc.aio.insecure_channel(f"127.0.0.1:{port}"), settings)
    yield harness
    await harness.channel.close()
    await server.stop(0)


async def _fail_seat(harness: RouterHarness, method: str) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        if method == STREAM:
            stream = harness.stub.StreamSeat(
                pb.StreamSeatRequest(seat=seat_request()), timeout=TIMEOUT_S
            )
            async for _ in stream:
                pass
        else:
            await harness.stub.RouteSeat(seat_request(), timeout=TIMEOUT_S)
    return caught.value


@pytest.mark.parametrize(
    "method", [pytest.param(ROUTE, id="route"), pytest.param(STREAM, id="stream")]
)
async def test_fault_inside_the_router_is_internal_and_logged_with_the_trace_id(
    faulty_router: RouterHarness,
    span_exporter: InMemorySpanExporter,
    caplog: pytest.LogCaptureFixture,
    method: str,
) -> None:
    caplog.set_level(logging.INFO, logger="router_service")
    error = await _fail_seat(faulty_router, method)
    details = decode_error(error)
    assert details.code == grpc.StatusCode.INTERNAL
    assert details.error_info.reason == "INTERNAL_ERROR"  # type: ignore[union-attr]
    assert "transport fault" not in details.message
    request_id = dict(error.trailing_metadata() or ())[REQUEST_ID_KEY]
    (logged,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert getattr(logged, LOG_FIELDS_ATTR)["trace_id"] == request_id
    assert logged.exc_info is not None and isinstance(logged.exc_info[1], RuntimeError)
    (span,) = chat_spans(span_exporter.get_finished_spans())
    assert (span.attributes or {})["error.type"] == "INTERNAL_ERROR"
    assert format(span.context.trace_id, "032x") == request_id
    (access,) = [r for r in caplog.records if r.name == "router_service.access"]
    assert getattr(access, LOG_FIELDS_ATTR)["grpc_code"] == "INTERNAL"
