"""The event loop each router worker runs on (`ROUTER_EVENT_LOOP`).

uvloop (libuv) is the default (on Windows, where uvloop does not exist, asyncio): grpc.aio
and aiohttp run on any asyncio loop, and uvloop spends less CPU per call on sockets, timers
and callbacks than asyncio's selector loop (docs/benchmarks.md). `asyncio` keeps the
standard library's loop.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Coroutine
from typing import Any, TypeVar

EVENT_LOOPS = ("uvloop", "asyncio")
# uvloop does not build on Windows; the standard loop is the default there.
DEFAULT_EVENT_LOOP = "asyncio" if sys.platform == "win32" else "uvloop"

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
