"""Fixtures: a real embedded ClickHouse (chDB) with the service's migrations applied."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from telemetry_service import migrate
from telemetry_service.config import load_settings
from telemetry_service.server import TelemetryApp
from telemetry_service.store import Store

STOP_TIMEOUT_S = 5.0


def open_migrated_store(path: Path) -> Store:
    store = Store.open(f"chdb://{path}")
    steps = migrate.plan(migrate.load_migrations(), migrate.ttl_params(3650, 3650))
    migrate.apply_migrations(store.command_sync, lambda sql: store.query_sync(sql).rows, steps)
    return store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = open_migrated_store(tmp_path / "clickhouse")
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
async def telemetry_app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[TelemetryApp]:
    """The real telemetry service on a free loopback port (catalog polling off)."""
    monkeypatch.setenv("TELEMETRY_CATALOG_INTERVAL_S", "0")
    monkeypatch.setenv("TELEMETRY_EXPECTED_COST_USD", "balanced=0.004,high=0.015")
    settings = load_settings(
        {
            "TELEMETRY_LISTEN_ADDR": "127.0.0.1:0",
            "CLICKHOUSE_URL": f"chdb://{tmp_path / 'clickhouse'}",
            "TELEMETRY_FLUSH_INTERVAL_MS": "20",
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
