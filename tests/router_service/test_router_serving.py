"""Serving concerns: caller auth, the concurrency limit, health and drain."""

from __future__ import annotations

import asyncio
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from opentelemetry.sdk.trace import TracerProvider

from openrouter_sim import Fault, SimServer
from router_service.config import Secret
from tests.router_service.router_helpers import (
    RouterHarness,
    StartRouter,
    chat_requests,
    decode_error,
    seat_request,
)
from tests.tls_support import self_signed_cert_pem

TIMEOUT_S = 15.0


async def wait_for_upstream_requests(sim: SimServer, count: int) -> None:
    for _ in range(500):  # up to 5 s
        if len(chat_requests(sim)) >= count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("upstream request did not arrive")


async def test_missing_or_wrong_token_is_unauthenticated(
    start_router: StartRouter, sim: SimServer
) -> None:
    harness = await start_router(auth_token=Secret("caller-token"))
    for metadata in (
        (),
        (("authorization", "Bearer wrong"),),
        (("authorization", "caller-token"),),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await harness.stub.RouteSeat(seat_request(), timeout=TIMEOUT_S, metadata=metadata)
        details = decode_error(caught.value)
        assert details.code == grpc.StatusCode.UNAUTHENTICATED
        assert details.error_info.reason == "CALLER_UNAUTHENTICATED"  # type: ignore[union-attr]
    assert chat_requests(sim) == []


async def test_right_token_is_served_and_health_needs_none(start_router: StartRouter) -> None:
    harness = await start_router(auth_token=Secret("caller-token"))
    response = await harness.stub.RouteSeat(
        seat_request(), timeout=TIMEOUT_S, metadata=(("authorization", "Bearer caller-token"),)
    )
    assert response.resolved_model
    health = health_pb2_grpc.HealthStub(harness.channel)
    reply = await health.Check(health_pb2.HealthCheckRequest(), timeout=TIMEOUT_S)
    assert reply.status == health_pb2.HealthCheckResponse.SERVING


async def test_stream_also_needs_the_token(start_router: StartRouter) -> None:
    from llmcouncil.router.v1 import router_service_pb2 as pb

    harness = await start_router(auth_token=Secret("caller-token"))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        async for _ in harness.stub.StreamSeat(
            pb.StreamSeatRequest(seat=seat_request()), timeout=TIMEOUT_S
        ):
            pass
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_calls_beyond_the_concurrency_limit_are_refused(
    start_router: StartRouter, sim: SimServer
) -> None:
    harness = await start_router(max_concurrency=1)
    sim.inject(Fault(kind="slow_headers", delay_s=1.0))
    first = asyncio.ensure_future(harness.stub.RouteSeat(seat_request(), timeout=TIMEOUT_S))
    await wait_for_upstream_requests(sim, 1)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await harness.stub.RouteSeat(seat_request(), timeout=TIMEOUT_S)
    details = decode_error(caught.value)
    assert details.code == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert details.error_info.reason == "ROUTER_OVERLOADED"  # type: ignore[union-attr]
    assert details.retry_delay_s > 0
    assert (await first).resolved_model
    assert len(chat_requests(sim)) == 1
    assert (await harness.stub.RouteSeat(seat_request(), timeout=TIMEOUT_S)).resolved_model


async def test_health_serving_then_not_serving_on_drain(start_router: StartRouter) -> None:
    harness = await start_router()
    health = health_pb2_grpc.HealthStub(harness.channel)
    for service in ("", "llmcouncil.router.v1.RouterService"):
        reply = await health.Check(health_pb2.HealthCheckRequest(service=service), timeout=5)
        assert reply.status == health_pb2.HealthCheckResponse.SERVING
    await harness.server.health.enter_graceful_shutdown()
    reply = await health.Check(health_pb2.HealthCheckRequest(), timeout=5)
    assert reply.status == health_pb2.HealthCheckResponse.NOT_SERVING


async def test_drain_lets_the_in_flight_call_finish(
    start_router: StartRouter, sim: SimServer
) -> None:
    harness = await start_router()
    sim.inject(Fault(kind="slow_headers", delay_s=1.0))
    call = asyncio.ensure_future(harness.stub.RouteSeat(seat_request(), timeout=TIMEOUT_S))
    await wait_for_upstream_requests(sim, 1)
    await harness.server.stop(5.0)
    assert (await call).resolved_model


async def test_tls_listener_serves_a_tls_client(
    sim: SimServer, tracer_provider: TracerProvider, tmp_path: Path
) -> None:
    from llmcouncil.router.v1 import router_service_pb2_grpc as pb_grpc

    from router_service.server import create_server
    from tests.router_service.router_helpers import make_settings

    cert, key = self_signed_cert_pem(tmp_path)
    settings = make_settings(sim.base_url, tls_cert=cert, tls_key=key)
    server, port = await create_server(settings, tracer_provider=tracer_provider)
    await server.start()
    try:
        credentials = grpc.ssl_channel_credentials(root_certificates=cert)
        async with grpc.aio.secure_channel(f"127.0.0.1:{port}", credentials) as channel:
            response = await pb_grpc.RouterServiceStub(channel).RouteSeat(
                seat_request(), timeout=TIMEOUT_S
            )
        assert response.resolved_model
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as plain:
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await pb_grpc.RouterServiceStub(plain).RouteSeat(seat_request(), timeout=5)
        assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
    finally:
        await server.stop(0)


async def test_message_above_the_size_limit_is_refused(
    start_router: StartRouter, sim: SimServer
) -> None:
    from llmcouncil.router.v1 import router_service_pb2 as pb

    harness = await start_router(max_message_bytes=64 * 1024)
    big = seat_request(messages=[pb.ChatMessage(role="user", content="x" * 100_000)])
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await harness.stub.RouteSeat(big, timeout=TIMEOUT_S)
    assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert chat_requests(sim) == []


async def test_a_second_server_cannot_silently_share_a_taken_port(
    router: RouterHarness, sim: SimServer, tracer_provider: TracerProvider
) -> None:
    from router_service.server import create_server
    from tests.router_service.router_helpers import make_settings

    settings = make_settings(sim.base_url, listen_port=router.port)
    with pytest.raises(RuntimeError):
        await create_server(settings, tracer_provider=tracer_provider)
