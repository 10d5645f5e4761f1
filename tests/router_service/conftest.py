"""Fixtures: the simulator on loopback, a real router server on port 0, an aio stub."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import grpc
import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from openrouter_sim import SimServer
from router_service.config import Settings
from router_service.server import create_server
from router_service.upstream_http import HTTP_CLIENTS
from tests.router_service.router_helpers import API_KEY, RouterHarness, StartRouter, make_settings


@pytest.fixture(autouse=True)
def no_metric_export_from_the_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A server built from os.environ must not send metrics to whatever listens on 4317.

    Tests that exercise the OTLP metric pipeline pass their own `environ` mapping.
    """
    monkeypatch.setenv("OTEL_METRICS_EXPORTER", "none")


@pytest.fixture
def sim() -> Iterator[SimServer]:
    with SimServer(api_key=API_KEY) as server:
        yield server


@pytest.fixture
def span_exporter() -> Iterator[InMemorySpanExporter]:
    yield InMemorySpanExporter()


@pytest.fixture
def tracer_provider(span_exporter: InMemorySpanExporter) -> Iterator[TracerProvider]:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(span_exporter))
    yield provider
    provider.shutdown()


@pytest.fixture
def metric_reader() -> InMemoryMetricReader:
    return InMemoryMetricReader()


@pytest.fixture
def meter_provider(metric_reader: InMemoryMetricReader) -> Iterator[MeterProvider]:
    provider = MeterProvider(metric_readers=[metric_reader])
    yield provider
    provider.shutdown()


@pytest.fixture
def http_client() -> str:
    """The upstream HTTP library of the routers `start_router` builds (the default one).

    Modules that prove upstream behaviour override this fixture to run with every library.
    """
    return HTTP_CLIENTS[0]


@pytest.fixture
async def start_router(
    sim: SimServer,
    tracer_provider: TracerProvider,
    meter_provider: MeterProvider,
    http_client: str,
) -> AsyncIterator[StartRouter]:
    """`await start_router(**settings_changes)` -> a started RouterHarness (stopped at teardown)."""
    started: list[RouterHarness] = []

    async def start(settings: Settings | None = None, **changes: Any) -> RouterHarness:
        changes.setdefault("http_client", http_client)
        settings = settings or make_settings(changes.pop("base_url", sim.base_url), **changes)
        server, port = await create_server(
            settings, tracer_provider=tracer_provider, meter_provider=meter_provider
        )
        await server.start()
        channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
        harness = RouterHarness(server, port, channel, settings)
        started.append(harness)
        return harness

    yield start
    for harness in started:
        await harness.channel.close()
        await harness.server.stop(0)


@pytest.fixture
async def router(start_router: StartRouter) -> RouterHarness:
    return await start_router()
