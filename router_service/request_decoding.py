"""Undecodable request bytes end with a chosen status, never grpc.aio's UNKNOWN.

grpc.aio ends a call UNKNOWN ("Unexpected DecodeError") when the request deserializer
raises, before any handler runs. `DecodeGuardInterceptor` gives matching unary-request
methods a deserializer that returns an `UndecodableRequest` marker instead, and a
behaviour that aborts with `status_for(method, error)` when it receives one.

It depends only on grpc and protobuf, so any grpc.aio service with async (coroutine or
async generator) unary-request behaviours can install it; streaming-request methods
are passed through untouched. Put it
last in the interceptor list: earlier interceptors (auth, limits) then still run first
and copy the guarded deserializer into any handler they substitute.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import grpc
from google.protobuf.message import DecodeError

log = logging.getLogger(__name__)

# (full method name, the parse error) -> the status to abort with.
StatusFor = Callable[[str, DecodeError], grpc.Status]
Continuation = Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler | None]]


@dataclass(frozen=True)
class UndecodableRequest:
    """Stands in for a request message whose bytes did not parse."""

    error: DecodeError


def guarded_deserializer(deserializer: Callable[[bytes], Any]) -> Callable[[bytes], Any]:
    """`deserializer`, but a DecodeError becomes an `UndecodableRequest` value."""

    def deserialize(raw: bytes) -> Any:
        try:
            return deserializer(raw)
        except DecodeError as error:
            return UndecodableRequest(error)

    return deserialize


class DecodeGuardInterceptor(grpc.aio.ServerInterceptor):
    """Answers undecodable requests to methods under `method_prefix` with `status_for`."""

    def __init__(self, method_prefix: str, status_for: StatusFor) -> None:
        self._prefix = method_prefix
        self._status_for = status_for

    async def _refuse(
        self, method: str, request: UndecodableRequest, context: grpc.aio.ServicerContext
    ) -> None:
        log.info("refused undecodable request to %s: %s", method, request.error)
        await context.abort_with_status(self._status_for(method, request.error))

    def _guard(self, method: str, behavior: Callable[..., Awaitable[Any]]) -> Callable[..., Any]:
        async def guarded(request: Any, context: grpc.aio.ServicerContext) -> Any:
            if isinstance(request, UndecodableRequest):
                await self._refuse(method, request, context)
            return await behavior(request, context)

        return guarded

    def _guard_generator(
        self, method: str, behavior: Callable[..., AsyncIterator[Any]]
    ) -> Callable[..., AsyncIterator[Any]]:
        async def guarded(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
            if isinstance(request, UndecodableRequest):
                await self._refuse(method, request, context)
            async for item in behavior(request, context):
                yield item

        return guarded

    async def intercept_service(
        self, continuation: Continuation, handler_call_details: grpc.HandlerCallDetails
    ) -> grpc.RpcMethodHandler | None:
        handler = await continuation(handler_call_details)
        method = handler_call_details.method
        if (
            handler is None
            or handler.request_streaming
            or handler.request_deserializer is None
            or not method.startswith(self._prefix)
        ):
            return handler
        deserialize = guarded_deserializer(handler.request_deserializer)
        if handler.unary_unary is not None:
            return grpc.unary_unary_rpc_method_handler(
                self._guard(method, handler.unary_unary),
                request_deserializer=deserialize,
                response_serializer=handler.response_serializer,
            )
        if handler.unary_stream is not None:
            stream = handler.unary_stream
            wrapped = (
                self._guard_generator(method, stream)
                if inspect.isasyncgenfunction(stream)
                else self._guard(method, stream)
            )
            return grpc.unary_stream_rpc_method_handler(
                wrapped,
                request_deserializer=deserialize,
                response_serializer=handler.response_serializer,
            )
        return handler
