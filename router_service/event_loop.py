"""The event loop each router worker runs on (`ROUTER_EVENT_LOOP`).

`asyncio` (the standard library's loop) is the default; `uvloop` (libuv) is the choice for
throughput: grpc.aio and aiohttp run on either. Measured side by side on the router
(docs/benchmarks.md), uvloop served a few per cent more calls per second at concurrency 64
but added ~0.3 ms to the median of a lone call, so it is opt-in. uvloop does not exist on
Windows.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

EVENT_LOOPS = ("asyncio", "uvloop")
DEFAULT_EVENT_LOOP = "asyncio"

T = TypeVar("T")


def run(main: Coroutine[Any, Any, T], kind: str) -> T:
    """Run `main` to completion on a new loop of `kind` (one of EVENT_LOOPS)."""
    if kind == "uvloop":
        import uvloop

        return uvloop.run(main)
    if kind == "asyncio":
        return asyncio.run(main)
    main.close()
    raise ValueError(f"unknown event loop {kind!r}; expected one of {', '.join(EVENT_LOOPS)}")


def loop_name(loop: asyncio.AbstractEventLoop) -> str:
    """`uvloop` or `asyncio`: the library whose loop class `loop` is."""
    return type(loop).__module__.split(".", 1)[0]
