"""Fixtures: the simulator, one real router subprocess, and each example client built once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from openrouter_sim import SimServer
from tests.polyglot.polyglot_clients import CLIENTS, ClientSpec, build_client
from tests.polyglot.polyglot_router import RouterProcess, run_router

API_KEY = "sk-sim-polyglot"


@pytest.fixture(scope="session")
def polyglot_sim() -> Iterator[SimServer]:
    with SimServer(api_key=API_KEY) as sim:
        yield sim


@pytest.fixture(scope="session")
def polyglot_router(
    polyglot_sim: SimServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RouterProcess]:
    # One upstream attempt: an injected upstream error reaches the client unretried.
    with run_router(
        base_url=polyglot_sim.base_url,
        api_key=API_KEY,
        workdir=tmp_path_factory.mktemp("polyglot-router"),
        extra_args=("--max-attempts", "1"),
    ) as router:
        yield router


@pytest.fixture(autouse=True)
def _fresh_simulator(polyglot_sim: SimServer) -> Iterator[None]:
    """Each test starts with no queued fault and no recorded request."""
    polyglot_sim.clear_faults()
    polyglot_sim.clear_requests()
    yield
    polyglot_sim.clear_faults()


@pytest.fixture(scope="session", params=CLIENTS, ids=[spec.name for spec in CLIENTS])
def client(request: pytest.FixtureRequest) -> ClientSpec:
    """Each example client, built once per session; skipped only when its toolchain is absent."""
    spec: ClientSpec = request.param
    missing = spec.missing_tool()
    if missing is not None:
        pytest.skip(f"{missing!r} is not on PATH: cannot build the {spec.name} client")
    build_client(spec)
    return spec
