"""Fixtures: a real embedded ClickHouse (chDB) with the service's migrations applied."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from telemetry_service.config import load_settings
from telemetry_service.server import TelemetryApp
from telemetry_service.store import Store
from tests.store_support import migrated_store

STOP_TIMEOUT_S = 5.0


# Drift rows span weeks and months back; ten-year TTLs keep every generated row.
DRIFT_TTL_DAYS = 3650


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with migrated_store(
        tmp_path / "clickhouse", raw_ttl_days=DRIFT_TTL_DAYS, selections_ttl_days=DRIFT_TTL_DAYS
    ) as opened:
        yield opened


@pytest.fixture
async def telemetry_app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[TelemetryApp]:
    """The real telemetry service on a free loopback port (catalog polling off)."""
    monkeypatch.setenv("TELEMETRY_CATALOG_INTERVAL_S", "0")
    monkeypatch.setenv("TELEMETRY_EXPECTED_COST_USD", "balanced=0.004,high=0.015")
    async with running_app(tmp_path, TELEMETRY_FLUSH_INTERVAL_MS="20") as app:
        yield app


@asynccontextmanager
async def running_app(tmp_path: Path, **env: str) -> AsyncIterator[TelemetryApp]:
    """The service on a free loopback port over a store in `tmp_path`, with extra settings."""
    settings = load_settings(
        {
            "TELEMETRY_LISTEN_ADDR": "127.0.0.1:0",
            "CLICKHOUSE_URL": f"chdb://{tmp_path / 'clickhouse'}",
            **env,
        }
    )
    app = TelemetryApp(settings)
    await app.start()
    try:
        yield app
    finally:
        await stop_app(app)


async def stop_app(app: TelemetryApp) -> None:
    """Stop the service; bounded, so a drain that never ends cannot hang the suite."""
    try:
        await asyncio.wait_for(app.stop(grace_s=1.0), timeout=STOP_TIMEOUT_S)
    except TimeoutError:
        if app.store is not None:
            await asyncio.to_thread(app.store.close)
