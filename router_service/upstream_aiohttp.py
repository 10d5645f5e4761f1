"""`UpstreamHTTP` over one aiohttp.ClientSession per event loop (the default client).

The session's `trust_env` stays off: with it aiohttp looks proxies and ~/.netrc up in a
thread on every request, and a netrc entry would replace our Authorization header. The
proxy is read from the environment once, as httpx reads it, and CAs as httpx trusts
them (certifi, or SSL_CERT_FILE / SSL_CERT_DIR).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator, Mapping
from contextlib import asynccontextmanager
from ssl import SSLContext

import aiohttp
import httpx
from aiohttp.http_exceptions import HttpProcessingError
from yarl import URL

from router_service.upstream_http import (
    ConnectionFailure,
    HttpAnswer,
    TimeoutFailure,
    TransportFailure,
    environment_proxy,
)

# Seconds an idle pooled connection is kept (aiohttp's default).
KEEPALIVE_S = 15.0
# Fallback bound per request (seconds); each call sets the rest of its deadline.
FALLBACK_TIMEOUT = aiohttp.ClientTimeout(total=60.0)


def _failure(exc: BaseException) -> TransportFailure:
    """The seam's failure for an aiohttp exception, like upstream_httpx maps httpx's."""
    name = type(exc).__name__
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        # httpx retries a connect timeout too (ConnectTimeout).
        return ConnectionFailure(name)
    if isinstance(exc, asyncio.TimeoutError):
        return TimeoutFailure(name)
    if isinstance(exc, aiohttp.ClientConnectionError | aiohttp.ClientPayloadError):
        return ConnectionFailure(name)
    if isinstance(exc, aiohttp.ClientResponseError) and isinstance(
        exc.__cause__, HttpProcessingError
    ):
        # An unparseable answer (httpx: RemoteProtocolError).
        return ConnectionFailure(name)
    return TransportFailure(name)


# Everything aiohttp raises for a failed exchange (its timeouts are asyncio.TimeoutError).
_AIOHTTP_ERRORS = (aiohttp.ClientError, asyncio.TimeoutError)


class AiohttpStreamingAnswer:
    __slots__ = ("_response",)

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self._response = response

    @property
    def status(self) -> int:
        return self._response.status

    @property
    def headers(self) -> Mapping[str, str]:
        return self._response.headers

    async def read(self) -> bytes:
        try:
            return await self._response.read()
        except _AIOHTTP_ERRORS as exc:
            raise _failure(exc) from None

    async def chunks(self) -> AsyncGenerator[bytes, None]:
        try:
            async for chunk in self._response.content.iter_any():
                yield chunk
        except _AIOHTTP_ERRORS as exc:
            raise _failure(exc) from None


class AiohttpUpstream:
    """POSTs through `session` to `url` (the session carries the fixed headers)."""

    def __init__(self, session: aiohttp.ClientSession, *, url: str) -> None:
        self._session = session
        self._url = URL(url)

    async def post(self, body: bytes, timeout_s: float) -> HttpAnswer:
        try:
            async with self._session.post(
                self._url, data=body, timeout=aiohttp.ClientTimeout(total=timeout_s)
            ) as response:
                raw = await response.read()
                return HttpAnswer(response.status, response.headers, raw)
        except _AIOHTTP_ERRORS as exc:
            raise _failure(exc) from None

    @asynccontextmanager
    async def stream(self, body: bytes, timeout_s: float) -> AsyncIterator[AiohttpStreamingAnswer]:
        try:
            response = await self._session.post(
                self._url, data=body, timeout=aiohttp.ClientTimeout(total=timeout_s)
            )
        except _AIOHTTP_ERRORS as exc:
            raise _failure(exc) from None
        try:
            yield AiohttpStreamingAnswer(response)
        finally:
            response.release()

    async def aclose(self) -> None:
        await self._session.close()


def create_aiohttp_upstream(
    *,
    url: str,
    headers: Mapping[str, str],
    max_connections: int,
    environ: Mapping[str, str],
) -> AiohttpUpstream:
    """One session per event loop (call inside it); close it with `aclose` on drain."""
    ssl: bool | SSLContext = True
    if URL(url).scheme == "https":
        # The same trust store httpx uses, so both clients accept the same upstreams.
        ssl = httpx.create_ssl_context(trust_env=True)
    connector = aiohttp.TCPConnector(
        limit=max_connections, limit_per_host=0, keepalive_timeout=KEEPALIVE_S, ssl=ssl
    )
    proxy = environment_proxy(url, environ)
    proxy_auth = None
    proxy_url = None
    if proxy is not None:
        proxy_url = URL(proxy)
        if proxy_url.user is not None:
            proxy_auth = aiohttp.BasicAuth(proxy_url.user, proxy_url.password or "")
            proxy_url = proxy_url.with_user(None)
    session = aiohttp.ClientSession(
        connector=connector,
        headers=dict(headers),
        proxy=proxy_url,
        proxy_auth=proxy_auth,
        timeout=FALLBACK_TIMEOUT,
        # Upstream cookies (e.g. a CDN's) carry nothing the router needs; skip the jar.
        cookie_jar=aiohttp.DummyCookieJar(),
        auto_decompress=True,
        trust_env=False,
        raise_for_status=False,
    )
    return AiohttpUpstream(session, url=url)
