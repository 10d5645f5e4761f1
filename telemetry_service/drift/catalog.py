"""Catalog snapshots: poll OpenRouter's GET /models on a schedule into model_catalog_snapshots.

TELEMETRY_CATALOG_INTERVAL_S sets the period in seconds (default 3600; 0 disables).
OPENROUTER_BASE_URL picks the API (default https://openrouter.ai/api/v1). /models needs no
key; OPENROUTER_API_KEY is sent as a bearer token when set and never logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import math
import os
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

import httpx
from clickhouse_connect.driver.exceptions import ClickHouseError

from telemetry_service.drift.frontier import CatalogModel, pareto_frontier, parse_catalog
from telemetry_service.drift.store import DriftStore

_LOG = logging.getLogger(__name__)
DEFAULT_BASE_URL = "https://openrouter.ai/api/v1"
DEFAULT_INTERVAL_S = 3600.0
INTERVAL_VARIABLE = "TELEMETRY_CATALOG_INTERVAL_S"
REQUEST_TIMEOUT_S = 30.0
TABLE = "model_catalog_snapshots"
COLUMNS = (
    "snapshot_time",
    "source",
    "model_id",
    "name",
    "context_length",
    "prompt_price_usd",
    "completion_price_usd",
    "blended_price_usd",
    "coding_index",
    "on_frontier",
    "frontier_rank",
)


class CatalogError(RuntimeError):
    """The catalog could not be fetched or read."""


def interval_from_env(environ: Mapping[str, str]) -> float:
    """Poll period in seconds; 0 disables. ValueError naming the variable when invalid."""
    raw = environ.get(INTERVAL_VARIABLE, "").strip()
    if not raw:
        return DEFAULT_INTERVAL_S
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{INTERVAL_VARIABLE}: must be a number of seconds >= 0, got {raw!r}")
    return value


def snapshot_rows(
    models: Sequence[CatalogModel], snapshot_time: float, source: str
) -> list[tuple[Any, ...]]:
    """One row per model (COLUMNS order), with its frontier membership and rank (1 = cheapest)."""
    ranks = {m.model_id: rank for rank, m in enumerate(pareto_frontier(models), start=1)}
    taken = dt.datetime.fromtimestamp(snapshot_time, tz=dt.UTC)
    return [
        (
            taken,
            source,
            m.model_id,
            m.name,
            m.context_length,
            m.prompt_price_usd,
            m.completion_price_usd,
            m.blended_price_usd,
            m.coding_index,
            m.model_id in ranks,
            ranks.get(m.model_id, 0),
        )
        for m in models
    ]


class CatalogPoller:
    """Takes a snapshot at start and then every interval; a failed poll is logged and retried
    at the next tick (the catalog changes slowly, a missed hour loses little)."""

    def __init__(
        self,
        store: DriftStore,
        settings: object = None,
        *,
        environ: Mapping[str, str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        env = os.environ if environ is None else environ
        self._store = store
        self._clock = clock
        self.interval_s = interval_from_env(env)
        base = getattr(settings, "openrouter_base_url", "") or env.get("OPENROUTER_BASE_URL", "")
        self.base_url = (base.strip() or DEFAULT_BASE_URL).rstrip("/")
        self._source = urlsplit(self.base_url).netloc
        key = env.get("OPENROUTER_API_KEY", "").strip()
        self._headers = {"Authorization": f"Bearer {key}"} if key else {}
        self._transport = transport
        self._task: asyncio.Task[None] | None = None
        self._client: httpx.AsyncClient | None = None
        self.snapshots_taken = 0
        self.failures = 0

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(
                transport=self._transport, timeout=REQUEST_TIMEOUT_S, headers=self._headers
            )
        return self._client

    async def fetch(self) -> list[CatalogModel]:
        try:
            response = await self._http().get(f"{self.base_url}/models")
        except httpx.HTTPError as exc:
            raise CatalogError(f"GET {self.base_url}/models failed: {type(exc).__name__}") from exc
        if response.status_code != 200:
            raise CatalogError(f"GET {self.base_url}/models answered HTTP {response.status_code}")
        try:
            payload = response.json()
        except ValueError as exc:
            raise CatalogError(f"GET {self.base_url}/models answered non-JSON") from exc
        models = parse_catalog(payload)
        if not models:
            raise CatalogError(f"GET {self.base_url}/models listed no models")
        return models

    async def poll_once(self) -> int:
        """Fetch and store one snapshot; returns the number of models stored."""
        models = await self.fetch()
        rows = snapshot_rows(models, self._clock(), self._source)
        await self._store.insert(TABLE, rows, COLUMNS)
        self.snapshots_taken += 1
        on_frontier = sum(1 for row in rows if row[9])
        _LOG.info("catalog snapshot: %d models, %d on the frontier", len(rows), on_frontier)
        return len(rows)

    async def _run(self) -> None:
        while True:
            try:
                await self.poll_once()
            except (CatalogError, ClickHouseError) as exc:
                self.failures += 1
                _LOG.warning("catalog snapshot skipped: %s", exc)
            await asyncio.sleep(self.interval_s)

    async def start(self) -> None:
        if self.interval_s <= 0 or self._task is not None:
            return
        self._task = asyncio.create_task(self._run(), name="catalog-poller")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._client is not None:
            await self._client.aclose()
            self._client = None
