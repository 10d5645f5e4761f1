"""`UpstreamHTTP` over one pooled httpx.AsyncClient (`ROUTER_HTTP_CLIENT=httpx`)."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Mapping
from contextlib import asynccontextmanager

import httpx

from router_service.upstream_http import (
    ConnectionFailure,
    HttpAnswer,
    TimeoutFailure,
    TransportFailure,
)

# Connection-level failures: the request may not have reached OpenRouter at all.
_CONNECTION_ERRORS: tuple[type[Exception], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.ReadError,
    httpx.WriteError,
    httpx.RemoteProtocolError,
)


def _failure(exc: Exception) -> TransportFailure:
    """The seam's failure for an httpx exception (checked most specific first)."""
    name = type(exc).__name__
    if isinstance(exc, _CONNECTION_ERRORS):
        return ConnectionFailure(name)
    if isinstance(exc, httpx.TimeoutException):
        return TimeoutFailure(name)
    return TransportFailure(name)


class HttpxStreamingAnswer:
    __slots__ = ("_response",)

    def __init__(self, response: httpx.Response) -> None:
        self._response = response

    @property
    def status(self) -> int:
        return self._response.status_code

    @property
    def headers(self) -> Mapping[str, str]:
        return self._response.headers

    async def read(self) -> bytes:
        try:
            return await self._response.aread()
        except httpx.HTTPError as exc:
            raise _failure(exc) from None

    async def chunks(self) -> AsyncGenerator[bytes, None]:
        try:
            async for chunk in self._response.aiter_bytes():
                yield chunk
        except httpx.HTTPError as exc:
            raise _failure(exc) from None


class HttpxUpstream:
    """POSTs through `client` to `url`; `headers` are sent on every request."""

    def __init__(self, client: httpx.AsyncClient, *, url: str, headers: Mapping[str, str]) -> None:
        self._client = client
        self._url = httpx.URL(url)
        self._headers = dict(headers)

    async def post(self, body: bytes, timeout_s: float) -> HttpAnswer:
        try:
            response = await self._client.post(
                self._url, content=body, headers=self._headers, timeout=timeout_s
            )
        except httpx.HTTPError as exc:
            raise _failure(exc) from None
        return HttpAnswer(response.status_code, response.headers, response.content)

    @asynccontextmanager
    async def stream(self, body: bytes, timeout_s: float) -> AsyncIterator[HttpxStreamingAnswer]:
        try:
            request = self._client.build_request(
                "POST", self._url, content=body, headers=self._headers, timeout=timeout_s
            )
            response = await self._client.send(request, stream=True)
        except httpx.HTTPError as exc:
            raise _failure(exc) from None
        try:
            yield HttpxStreamingAnswer(response)
        finally:
            await response.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()


def create_httpx_upstream(
    *,
    url: str,
    headers: Mapping[str, str],
    max_connections: int,
) -> HttpxUpstream:
    """One pooled client per process (closed on drain); proxies and CAs from the env."""
    client = httpx.AsyncClient(
        limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=64),
        # Per-request timeouts are set from the deadline; this is only the fallback (seconds).
        timeout=httpx.Timeout(60.0),
        follow_redirects=False,
    )
    return HttpxUpstream(client, url=url, headers=headers)
