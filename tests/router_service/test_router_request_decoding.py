"""DecodeGuardInterceptor on a bare grpc.aio server: undecodable bytes get the chosen status."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
import pytest
from google.protobuf import wrappers_pb2
from google.protobuf.message import DecodeError
from google.rpc import status_pb2
from grpc_status import rpc_status

from router_service.request_decoding import (
    DecodeGuardInterceptor,
    UndecodableRequest,
    guarded_deserializer,
)

TIMEOUT_S = 10.0
# A string field holding invalid UTF-8: a DecodeError for StringValue.
BAD_UTF8 = b"\x0a\x02\xff\xfe"


def refusal(method: str, error: DecodeError) -> grpc.Status:
    code = grpc.StatusCode.INVALID_ARGUMENT.value[0]
    return rpc_status.to_status(status_pb2.Status(code=code, message=f"undecodable {method}"))


async def echo(request: wrappers_pb2.StringValue, context: grpc.aio.ServicerContext) -> bytes:
    return request.value.encode()


async def echo_twice(
    request: wrappers_pb2.StringValue, context: grpc.aio.ServicerContext
) -> AsyncIterator[bytes]:
    for _ in range(2):
        yield request.value.encode()


def handlers(service: str) -> grpc.GenericRpcHandler:
    deserialize = wrappers_pb2.StringValue.FromString
    return grpc.method_handlers_generic_handler(
        service,
        {
            "Echo": grpc.unary_unary_rpc_method_handler(echo, request_deserializer=deserialize),
            "EchoTwice": grpc.unary_stream_rpc_method_handler(
                echo_twice, request_deserializer=deserialize
            ),
        },
    )


@pytest.fixture
async def channel() -> AsyncIterator[grpc.aio.Channel]:
    server = grpc.aio.server(interceptors=[DecodeGuardInterceptor("/guarded.Echo/", refusal)])
    server.add_generic_rpc_handlers((handlers("guarded.Echo"), handlers("open.Echo")))
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as opened:
        yield opened
    await server.stop(0)


def test_guarded_deserializer_turns_a_decode_error_into_a_marker() -> None:
    deserialize = guarded_deserializer(wrappers_pb2.StringValue.FromString)
    assert deserialize(wrappers_pb2.StringValue(value="ok").SerializeToString()).value == "ok"
    assert isinstance(deserialize(BAD_UTF8), UndecodableRequest)


async def test_unary_undecodable_request_gets_the_chosen_status(channel: grpc.aio.Channel) -> None:
    call = channel.unary_unary("/guarded.Echo/Echo")
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call(BAD_UTF8, timeout=TIMEOUT_S)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert caught.value.details() == "undecodable /guarded.Echo/Echo"


async def test_async_generator_stream_undecodable_request_gets_the_chosen_status(
    channel: grpc.aio.Channel,
) -> None:
    call = channel.unary_stream("/guarded.Echo/EchoTwice")
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        async for _ in call(BAD_UTF8, timeout=TIMEOUT_S):
            pass
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_valid_requests_pass_through_unchanged(channel: grpc.aio.Channel) -> None:
    raw = wrappers_pb2.StringValue(value="hi").SerializeToString()
    assert await channel.unary_unary("/guarded.Echo/Echo")(raw, timeout=TIMEOUT_S) == b"hi"
    replies = channel.unary_stream("/guarded.Echo/EchoTwice")(raw, timeout=TIMEOUT_S)
    assert [reply async for reply in replies] == [b"hi", b"hi"]


async def test_methods_outside_the_prefix_are_left_to_grpc(channel: grpc.aio.Channel) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await channel.unary_unary("/open.Echo/Echo")(BAD_UTF8, timeout=TIMEOUT_S)
    assert caught.value.code() == grpc.StatusCode.UNKNOWN
