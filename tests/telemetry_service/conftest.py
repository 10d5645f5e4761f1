"""Fixtures: a migrated embedded store, and the whole service in-process on port 0."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import grpc
import pytest

from telemetry_service.config import load_settings
from telemetry_service.server import TelemetryApp
from telemetry_service.store import Store
from tests.store_support import migrated_store

StartApp = Callable[..., Awaitable[TelemetryApp]]


@pytest.fixture(autouse=True)
def _no_catalog_polling(monkeypatch: pytest.MonkeyPatch) -> None:
    # The drift catalog poller would call OpenRouter; these tests are about the store.
    monkeypatch.setenv("TELEMETRY_CATALOG_INTERVAL_S", "0")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    # The service's default TTLs (days): raw spans 30, seat selections 400.
    with migrated_store(
        tmp_path / "clickhouse", raw_ttl_days=30, selections_ttl_days=400
    ) as opened:
        yield opened


@pytest.fixture
async def start_app(tmp_path: Path) -> AsyncIterator[StartApp]:
    """Start the service with extra env values; every started app is stopped at the end."""
    started: list[TelemetryApp] = []

    async def start(**env: str) -> TelemetryApp:
        environ = {
            "TELEMETRY_LISTEN_ADDR": "127.0.0.1:0",
            "CLICKHOUSE_URL": f"chdb://{tmp_path / 'clickhouse'}",
            "TELEMETRY_FLUSH_INTERVAL_MS": "20",
            **env,
        }
        app = TelemetryApp(load_settings(environ))
        started.append(app)
        await app.start()
        return app

    yield start
    for app in reversed(started):
        await app.stop(grace_s=1.0)


@pytest.fixture
async def app(start_app: StartApp) -> TelemetryApp:
    return await start_app()


@pytest.fixture
async def channel(app: TelemetryApp) -> AsyncIterator[grpc.aio.Channel]:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{app.port}") as opened:
        yield opened
