"""Catalog snapshots from the simulator's real HTTP /models into the store."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from openrouter_sim import SimServer
from telemetry_service.drift.catalog import CatalogError, CatalogPoller, interval_from_env
from telemetry_service.store import Store


async def test_poll_stores_the_catalog_with_its_frontier(store: Store) -> None:
    with SimServer(api_key="sk-sim-test") as sim:
        poller = CatalogPoller(store, environ={"OPENROUTER_BASE_URL": sim.base_url})
        try:
            stored = await poller.poll_once()
        finally:
            await poller.stop()
    rows = (
        await store.query(
            "SELECT model_id, on_frontier, frontier_rank, coding_index FROM model_catalog_snapshots"
        )
    ).rows
    assert stored == len(rows) > 0
    frontier = sorted((rank, model) for model, on, rank, _ in rows if on)
    assert frontier and [rank for rank, _ in frontier] == list(range(1, len(frontier) + 1))
    assert not any(model.startswith("openrouter/") for _, model in frontier)
    view = (await store.query("SELECT model_id FROM v_catalog_frontier")).rows
    assert sorted(m for (m,) in view) == sorted(m for _, m in frontier)


async def test_api_key_is_sent_as_bearer_when_set(store: Store) -> None:
    with SimServer(api_key="sk-sim-test") as sim:
        poller = CatalogPoller(
            store,
            environ={"OPENROUTER_BASE_URL": sim.base_url, "OPENROUTER_API_KEY": "sk-sim-test"},
        )
        try:
            await poller.poll_once()
        finally:
            await poller.stop()
        models_calls = [r for r in sim.requests if r.path.endswith("/models")]
    assert models_calls[-1].headers.get("authorization") == "Bearer sk-sim-test"


async def test_upstream_failure_stores_nothing(store: Store) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, json={"error": {"code": 503, "message": "down"}})

    poller = CatalogPoller(store, environ={}, transport=httpx.MockTransport(refuse))
    try:
        with pytest.raises(CatalogError, match="HTTP 503"):
            await poller.poll_once()
    finally:
        await poller.stop()
    assert (await store.query("SELECT count() FROM model_catalog_snapshots")).rows == [(0,)]


async def test_scheduled_poller_takes_a_snapshot_at_start(store: Store) -> None:
    with SimServer(api_key="sk-sim-test") as sim:
        poller = CatalogPoller(
            store,
            environ={"OPENROUTER_BASE_URL": sim.base_url, "TELEMETRY_CATALOG_INTERVAL_S": "3600"},
        )
        await poller.start()
        try:
            for _ in range(200):
                if poller.snapshots_taken:
                    break
                await asyncio.sleep(0.05)
        finally:
            await poller.stop()
    assert poller.snapshots_taken == 1


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("", 3600.0, id="default-hourly"),
        pytest.param("0", 0.0, id="zero-disables"),
        pytest.param("25", 25.0, id="seconds"),
    ],
)
def test_interval_from_env(raw: str, expected: float) -> None:
    assert interval_from_env({"TELEMETRY_CATALOG_INTERVAL_S": raw}) == expected


@pytest.mark.parametrize("raw", ["-1", "soon", "nan"])
def test_bad_interval_names_the_variable(raw: str) -> None:
    with pytest.raises(ValueError, match="TELEMETRY_CATALOG_INTERVAL_S"):
        interval_from_env({"TELEMETRY_CATALOG_INTERVAL_S": raw})


async def test_disabled_poller_never_polls(store: Store) -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise AssertionError("polled while disabled")

    poller = CatalogPoller(
        store,
        environ={"TELEMETRY_CATALOG_INTERVAL_S": "0"},
        transport=httpx.MockTransport(fail),
    )
    await poller.start()
    await poller.stop()
    assert poller.snapshots_taken == 0
