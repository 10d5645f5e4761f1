"""Per-query timings of one drift report, for when the report is slower than its target.

The embedded engine has no system.query_log, so the report is built in-process with the
service's own analysis code over a store wrapper that times each query and names it after
the SQL file it came from.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Mapping, Sequence
from typing import Any

from telemetry_service.drift import analysis, queries
from telemetry_service.drift.filters import resolve_filter
from telemetry_service.store import Store

QUERY_NAMES = (
    "shares",
    "frontier_snapshots",
    "frontier_fit",
    "checks",
    "pareto_sessions",
    "reviews",
    "reviews_incomplete",
    "reviews_joined",
)


def query_label(sql: str) -> str:
    """The SQL file a query came from, and which tables it reads (rollup, raw or both)."""
    name = sql.strip().splitlines()[0][:60] if sql.strip() else "?"
    for candidate in QUERY_NAMES:
        with contextlib.suppress(FileNotFoundError, OSError):
            head = queries.load_sql(candidate).split("__SOURCE__")[0].strip()
            if head and sql.strip().startswith(head):
                name = candidate
                break
    reads = [table for table, _ in queries.ROLLUPS if table in sql]
    if "seat_selections" in sql:
        reads.append("seat_selections")
    return f"{name} ({', '.join(reads) or 'other tables'})"


class TimedStore:
    """A DriftStore over the service's Store that records (query name, seconds)."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self.timings: list[tuple[str, float]] = []

    async def query(
        self,
        sql: str,
        parameters: Mapping[str, Any] | None = None,
        settings: Mapping[str, Any] | None = None,
    ) -> Any:
        started = time.perf_counter()
        result = await self._store.query(
            sql, dict(parameters or {}), dict(settings) if settings else None
        )
        self.timings.append((query_label(sql), round(time.perf_counter() - started, 3)))
        return result

    async def command(self, sql: str, parameters: Mapping[str, Any] | None = None) -> Any:
        return await self._store.command(sql, dict(parameters or {}))

    async def insert(
        self, table: str, rows: Sequence[Sequence[Any]], column_names: Sequence[str]
    ) -> Any:
        return await self._store.insert(table, rows, column_names)


def breakdown(store: Store, since: float, until: float | None) -> dict[str, object]:
    """Build the report once (after one untimed warm-up build) and time every query."""
    query = resolve_filter(
        tier="",
        window_s=86_400,
        since=since,
        until=until,
        requested_model="",
        divergence_threshold=0.0,
        now=time.time(),
    )
    timed = TimedStore(store)
    asyncio.run(analysis.build_report(timed, query, {}, time.time()))
    timed.timings.clear()
    started = time.perf_counter()
    asyncio.run(analysis.build_report(timed, query, {}, time.time()))
    return {
        "source": str(queries.choose_source(query)),
        "total_s": round(time.perf_counter() - started, 3),
        "queries": timed.timings,
    }
