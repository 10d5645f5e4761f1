"""The seam between the OpenRouter client and an HTTP library: one POST, two shapes.

`UpstreamHTTP.post` sends one POST and gives status, headers and the whole body;
`UpstreamHTTP.stream` sends one POST and hands over the body chunk by chunk (for SSE).
Both go to the one URL and with the headers fixed at construction, so the hot path
builds nothing per call but the timeout. Implementations translate their library's
exceptions into the `TransportFailure` family below, so the retry, deadline and error
mapping code in `openrouter_client` is written once for every library.

Implementations: `upstream_aiohttp` (default) and `upstream_httpx`.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

# What `ROUTER_HTTP_CLIENT` may name; the first is the default.
HTTP_CLIENTS = ("aiohttp", "httpx")


class TransportFailure(Exception):
    """The exchange failed below HTTP (no usable answer). Not retried.

    `cause` names the library's exception type (for error metadata; never its text).
    """

    def __init__(self, cause: str) -> None:
        super().__init__(cause)
        self.cause = cause


class ConnectionFailure(TransportFailure):
    """Refused, reset or closed connection, or a broken body: the call may be retried."""


class TimeoutFailure(TransportFailure):
    """The per-attempt timeout (the rest of the caller's deadline) ran out."""


@dataclass(frozen=True, slots=True)
class HttpAnswer:
    """One whole answer. `headers` looks names up case-insensitively."""

    status: int
    headers: Mapping[str, str]
    body: bytes


class StreamingAnswer(Protocol):
    """An answer whose body has not been read yet."""

    @property
    def status(self) -> int: ...

    @property
    def headers(self) -> Mapping[str, str]: ...

    async def read(self) -> bytes:
        """The whole (decompressed) body."""
        ...

    def chunks(self) -> AsyncGenerator[bytes, None]:
        """The (decompressed) body in pieces as they arrive."""
        ...


class UpstreamHTTP(Protocol):
    """POSTs to one fixed URL with fixed headers over a pooled, keep-alive client."""

    async def post(self, body: bytes, timeout_s: float) -> HttpAnswer:
        """Send `body` (JSON bytes); raise TransportFailure when no answer came."""
        ...

    def stream(self, body: bytes, timeout_s: float) -> AbstractAsyncContextManager[StreamingAnswer]:
        """Send `body`; the answer's body is read inside the `async with`."""
        ...

    async def aclose(self) -> None:
        """Close the pool (idempotent)."""
        ...


def environment_proxy(url: str, environ: Mapping[str, str]) -> str | None:
    """The proxy the environment names for `url`, read as httpx reads it (trust_env).

    `<scheme>_PROXY`, then `ALL_PROXY` (lower-case names win over upper-case ones);
    `NO_PROXY` lists hosts (and their subdomains) to reach directly, `*` for all.
    """
    proxies: dict[str, str] = {}
    # Upper-case first so that a lower-case name overrides it (as urllib does).
    for name, value in sorted(environ.items(), key=lambda item: item[0].islower()):
        lowered = name.lower()
        if lowered.endswith("_proxy") and value.strip():
            proxies[lowered[: -len("_proxy")]] = value.strip()
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    for entry in proxies.get("no", "").split(","):
        pattern = entry.strip().lower()
        if pattern == "*":
            return None
        if pattern.startswith("[") and pattern.endswith("]"):
            pattern = pattern[1:-1]
        if pattern.startswith("."):
            if host.endswith(pattern):
                return None
        elif pattern and (host == pattern or host.endswith("." + pattern)):
            return None
    proxy = proxies.get(parts.scheme) or proxies.get("all")
    if proxy is None:
        return None
    return proxy if "://" in proxy else f"http://{proxy}"


def create_upstream_http(
    kind: str,
    *,
    url: str,
    headers: Mapping[str, str],
    max_connections: int,
    environ: Mapping[str, str],
) -> UpstreamHTTP:
    """The pooled client `kind` (one of HTTP_CLIENTS) names; build it inside the event loop."""
    if kind == "aiohttp":
        from router_service.upstream_aiohttp import create_aiohttp_upstream

        return create_aiohttp_upstream(
            url=url, headers=headers, max_connections=max_connections, environ=environ
        )
    if kind == "httpx":
        from router_service.upstream_httpx import create_httpx_upstream

        return create_httpx_upstream(url=url, headers=headers, max_connections=max_connections)
    raise ValueError(f"unknown HTTP client {kind!r}; expected one of {', '.join(HTTP_CLIENTS)}")
