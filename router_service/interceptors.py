"""Server interceptors for RouterService methods: caller auth and a concurrency limit.

Health and reflection stay open and unlimited so that probes work under load and
without a token.
"""

from __future__ import annotations

import hmac
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc

from router_service.errors import CallerUnauthenticatedError, RouterOverloadedError, to_grpc_status

ROUTER_METHOD_PREFIX = "/llmcouncil.router.v1.RouterService/"
# Hint to a client refused for overload: try again after this many seconds.
OVERLOAD_RETRY_AFTER_S = 1.0

Continuation = Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler | None]]


def _is_router_method(details: grpc.HandlerCallDetails) -> bool:
    return details.method.startswith(ROUTER_METHOD_PREFIX)


def _rejecting_handler(
    handler: grpc.RpcMethodHandler, status: grpc.Status
) -> grpc.RpcMethodHandler:
    """A handler with the same (de)serializers that only aborts with `status`."""

    async def reject(request: Any, context: grpc.aio.ServicerContext) -> None:
        await context.abort_with_status(status)

    if handler.unary_stream is not None:
        return grpc.unary_stream_rpc_method_handler(
            reject,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )
    return grpc.unary_unary_rpc_method_handler(
        reject,
        request_deserializer=handler.request_deserializer,
        response_serializer=handler.response_serializer,
    )


class CallerAuthInterceptor(grpc.aio.ServerInterceptor):
    """Requires metadata `authorization: Bearer <token>` on RouterService methods."""

    def __init__(self, token: str) -> None:
        self._expected = f"Bearer {token}".encode()

    def _authorized(self, details: grpc.HandlerCallDetails) -> bool:
        for key, value in details.invocation_metadata or ():
            if key == "authorization":
                given = value.encode() if isinstance(value, str) else bytes(value)
                return hmac.compare_digest(given, self._expected)
        return False

    async def intercept_service(
        self, continuation: Continuation, handler_call_details: grpc.HandlerCallDetails
    ) -> grpc.RpcMethodHandler | None:
        handler = await continuation(handler_call_details)
        if handler is None or not _is_router_method(handler_call_details):
            return handler
        if self._authorized(handler_call_details):
            return handler
        error = CallerUnauthenticatedError("missing or wrong bearer token in `authorization`")
        return _rejecting_handler(handler, to_grpc_status(error))


class ConcurrencyLimitInterceptor(grpc.aio.ServerInterceptor):
    """At most `limit` RouterService calls at once in this process; more are refused.

    Refusing (RESOURCE_EXHAUSTED, ROUTER_OVERLOADED, RetryInfo) instead of queueing keeps
    latency bounded and lets clients go to another worker or back off.
    """

    def __init__(self, limit: int) -> None:
        self._limit = limit
        # Touched only from this process's event loop thread.
        self.active = 0

    def _overloaded(self) -> grpc.Status:
        return to_grpc_status(
            RouterOverloadedError(
                f"router is at its limit of {self._limit} concurrent calls",
                metadata={"limit": str(self._limit)},
                retry_after_s=OVERLOAD_RETRY_AFTER_S,
            )
        )

    def _wrap_unary(self, behavior: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        async def limited(request: Any, context: grpc.aio.ServicerContext) -> Any:
            if self.active >= self._limit:
                await context.abort_with_status(self._overloaded())
            self.active += 1
            try:
                return await behavior(request, context)
            finally:
                self.active -= 1

        return limited

    def _wrap_stream_generator(
        self, behavior: Callable[..., AsyncIterator[Any]]
    ) -> Callable[..., AsyncIterator[Any]]:
        async def limited(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
            if self.active >= self._limit:
                await context.abort_with_status(self._overloaded())
            self.active += 1
            try:
                async for item in behavior(request, context):
                    yield item
            finally:
                self.active -= 1

        return limited

    async def intercept_service(
        self, continuation: Continuation, handler_call_details: grpc.HandlerCallDetails
    ) -> grpc.RpcMethodHandler | None:
        handler = await continuation(handler_call_details)
        if handler is None or not _is_router_method(handler_call_details):
            return handler
        if handler.unary_unary is not None:
            return grpc.unary_unary_rpc_method_handler(
                self._wrap_unary(handler.unary_unary),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        if handler.unary_stream is not None:
            stream = handler.unary_stream
            wrapped = (
                self._wrap_stream_generator(stream)
                if inspect.isasyncgenfunction(stream)
                else self._wrap_unary(stream)
            )
            return grpc.unary_stream_rpc_method_handler(
                wrapped,
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        return handler
