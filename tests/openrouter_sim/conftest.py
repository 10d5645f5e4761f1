from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sim_support import API_KEY, FakeClock

from openrouter_sim import SimServer


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sim(clock: FakeClock) -> Iterator[SimServer]:
    with SimServer(api_key=API_KEY, clock=clock, shift_every_s=60.0) as server:
        yield server


@pytest.fixture
def client(sim: SimServer) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=sim.base_url,
        headers={"Authorization": f"Bearer {API_KEY}"},
        timeout=10.0,
    ) as c:
        yield c
