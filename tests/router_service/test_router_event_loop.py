"""router_service.event_loop: the loop a worker's coroutine really runs on."""

from __future__ import annotations

import asyncio
import warnings

import pytest
import uvloop

from router_service.event_loop import EVENT_LOOPS, loop_name, run


async def running_loop() -> asyncio.AbstractEventLoop:
    return asyncio.get_running_loop()


def test_uvloop_runs_the_coroutine_on_a_uvloop_loop() -> None:
    loop = run(running_loop(), "uvloop")
    assert isinstance(loop, uvloop.Loop)
    assert loop_name(loop) == "uvloop"


def test_asyncio_runs_the_coroutine_on_the_standard_loop() -> None:
    loop = run(running_loop(), "asyncio")
    assert not isinstance(loop, uvloop.Loop)
    assert loop_name(loop) == "asyncio"


def test_every_named_loop_runs() -> None:
    assert {loop_name(run(running_loop(), kind)) for kind in EVENT_LOOPS} == set(EVENT_LOOPS)


def test_unknown_loop_is_refused_without_leaving_the_coroutine_unawaited() -> None:
    coroutine = running_loop()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match="trio"):
            run(coroutine, "trio")
    assert coroutine.cr_frame is None  # closed, so no "never awaited" warning later
