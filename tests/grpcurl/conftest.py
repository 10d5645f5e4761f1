"""Fixtures: the simulator and a real router server on 127.0.0.1 port 0 for grpcurl."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from opentelemetry.sdk.trace import TracerProvider

from openrouter_sim import SimServer
from router_service.config import load_settings
from router_service.server import create_server

API_KEY = "sk-sim-grpcurl"


@pytest.fixture(scope="module")
def grpcurl_sim() -> Iterator[SimServer]:
    with SimServer(api_key=API_KEY) as sim:
        yield sim


@pytest.fixture
async def router_target(grpcurl_sim: SimServer) -> AsyncIterator[str]:
    """host:port of a started router that calls the simulator."""
    grpcurl_sim.clear_requests()
    settings = load_settings(
        {
            "ROUTER_LISTEN_ADDR": "127.0.0.1:0",
            "ROUTER_WORKERS": "1",
            "OPENROUTER_BASE_URL": grpcurl_sim.base_url,
            "OPENROUTER_API_KEY": API_KEY,
        }
    )
    # A provider of our own with no exporter: spans are not under test here.
    provider = TracerProvider()
    server, port = await create_server(settings, tracer_provider=provider)
    await server.start()
    try:
        yield f"127.0.0.1:{port}"
    finally:
        await server.stop(0)
        provider.shutdown()
