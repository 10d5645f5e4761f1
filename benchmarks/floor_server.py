"""Reference servers that show the floor a Python gRPC gateway starts from on this machine.

``python -m benchmarks.floor_server --mode MODE --upstream URL --port-file FILE`` serves
RouterService.RouteSeat on 127.0.0.1 in one process with one asyncio loop (as one router
worker does), answering a fixed RouteSeatResponse:

* ``grpc``: no upstream call: the cost of grpc.aio alone (parse, dispatch, serialize);
* ``grpc_httpx``: plus one httpx.AsyncClient POST of the same JSON body to the mock and a
  json.loads of the answer: the least a router built on grpc.aio + httpx can spend;
* ``grpc_aiohttp``: the same with aiohttp.ClientSession (the router's default client);
* ``grpc_httpx_aiohttp``: httpx.AsyncClient over httpx-aiohttp's AiohttpTransport (httpx's
  API, aiohttp's connection pool and HTTP/1.1 parser; needs httpx-aiohttp on PYTHONPATH: the
  runner installs it beside the project, not into it);
* ``grpc_aiohttp_uvloop``: ``grpc_aiohttp`` on uvloop's event loop instead of asyncio's.

Measured with the same h2load settings as the router, these rows split the router's added
latency into the framework floor and the router's own work (docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import grpc
import httpx
from llmcouncil.router.v1 import router_service_pb2, router_service_pb2_grpc

from benchmarks import payloads

MODES = ("grpc", "grpc_httpx", "grpc_aiohttp", "grpc_httpx_aiohttp", "grpc_aiohttp_uvloop")


Post = Callable[[str, bytes], Awaitable[bytes]]
HEADERS = {"content-type": "application/json"}


class FloorServicer(router_service_pb2_grpc.RouterServiceServicer):
    def __init__(self, post: Post | None, url: str) -> None:
        self._post = post
        self._url = url
        self._body = json.dumps(payloads.chat_body(with_plugin=True)).encode()

    async def RouteSeat(
        self, request: router_service_pb2.RouteSeatRequest, context: Any
    ) -> router_service_pb2.RouteSeatResponse:
        model = request.model
        if self._post is not None:
            model = json.loads(await self._post(self._url, self._body))["model"]
        return router_service_pb2.RouteSeatResponse(
            content="def add(a, b): return a + b",
            requested_model=request.model,
            resolved_model=model,
        )


@contextlib.asynccontextmanager
async def http_post(mode: str) -> AsyncIterator[Post | None]:
    """The POST function of ``mode``'s HTTP client, closed when the block ends."""
    if mode == "grpc_httpx":
        async with httpx.AsyncClient(timeout=30) as client:

            async def post_httpx(url: str, body: bytes) -> bytes:
                return (await client.post(url, content=body, headers=HEADERS)).content

            yield post_httpx
    elif mode == "grpc_httpx_aiohttp":
        from httpx_aiohttp import AiohttpTransport

        async with httpx.AsyncClient(timeout=30, transport=AiohttpTransport()) as client:

            async def post_httpx_aiohttp(url: str, body: bytes) -> bytes:
                return (await client.post(url, content=body, headers=HEADERS)).content

            yield post_httpx_aiohttp
    elif mode in ("grpc_aiohttp", "grpc_aiohttp_uvloop"):
        import aiohttp

        async with aiohttp.ClientSession() as session:

            async def post_aiohttp(url: str, body: bytes) -> bytes:
                async with session.post(url, data=body, headers=HEADERS) as response:
                    return bytes(await response.read())

            yield post_aiohttp
    else:
        yield None


async def serve(mode: str, upstream: str, port_file: Path) -> None:
    async with http_post(mode) as post:
        await _serve(post, upstream, port_file)


async def _serve(post: Post | None, upstream: str, port_file: Path) -> None:
    server = grpc.aio.server()
    # Only RouteSeat is served; the stub's other methods answer UNIMPLEMENTED.
    servicer = FloorServicer(post, upstream.rstrip("/") + "/chat/completions")  # type: ignore[abstract]
    router_service_pb2_grpc.add_RouterServiceServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    await asyncio.to_thread(port_file.write_text, str(port))
    await server.wait_for_termination()


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--mode", choices=MODES, required=True)
    p.add_argument("--upstream", required=True, help="OpenRouter-style base URL of the mock")
    p.add_argument("--port-file", type=Path, required=True)
    args = p.parse_args()
    if args.mode.endswith("_uvloop"):
        import uvloop

        uvloop.run(serve(args.mode, args.upstream, args.port_file))
    else:
        asyncio.run(serve(args.mode, args.upstream, args.port_file))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
