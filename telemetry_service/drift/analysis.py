"""The drift analyses over a DriftStore: selection shares, events, frontier, checks."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from telemetry_service.drift import queries
from telemetry_service.drift.checks import (
    CallSums,
    CostCheck,
    DuplicateRate,
    FrontierFit,
    ReviewComparison,
    ReviewSums,
    cost_checks,
    duplicate_rates,
    frontier_fit,
    review_comparisons,
)
from telemetry_service.drift.events import DetectionSettings, DriftEvent, detect_events
from telemetry_service.drift.filters import DriftQuery
from telemetry_service.drift.frontier import FrontierChange, frontier_changes
from telemetry_service.drift.shares import CountRow, ShareRow, build_shares, window_counts
from telemetry_service.drift.store import DriftStore


@dataclasses.dataclass(frozen=True)
class DriftReportData:
    query: DriftQuery
    generated_at: float
    shares: list[ShareRow]
    events: list[DriftEvent]
    frontier_changes: list[FrontierChange]
    frontier_fit: list[FrontierFit]
    duplicates: list[DuplicateRate]
    reviews: list[ReviewComparison]
    costs: list[CostCheck]
    total_selections: int


# Result limits reset for every drift query (0 = unlimited; the filter caps the windows).
QUERY_SETTINGS: Mapping[str, Any] = {
    "max_result_rows": 0,
    "max_result_bytes": 0,
    "result_overflow_mode": "throw",
    "max_execution_time": 120,
}


async def _rows(store: DriftStore, sql: str, params: Mapping[str, Any]) -> list[Any]:
    result = await store.query(sql, params, QUERY_SETTINGS)
    return list(result.rows)


async def count_rows(store: DriftStore, query: DriftQuery) -> list[CountRow]:
    """Per-window counts from one window before `since` (history for detection) to `until`."""
    source = queries.choose_source(query)
    params = queries.parameters(query, lookback=True, source=source)
    rows = await _rows(store, queries.render("shares", source), params)
    return [CountRow(float(r[0]), r[1], r[2], r[3], r[4], int(r[5])) for r in rows]


async def selection_shares(
    store: DriftStore, query: DriftQuery, *, by_band_and_requested: bool = False
) -> list[ShareRow]:
    rows = await count_rows(store, query)
    return build_shares(rows, by_band_and_requested=by_band_and_requested, report_from=query.since)


def _events(rows: list[CountRow], query: DriftQuery) -> list[DriftEvent]:
    settings = DetectionSettings(divergence_threshold=query.divergence_threshold)
    return detect_events(window_counts(rows), settings, report_from=query.since)


async def drift_events(store: DriftStore, query: DriftQuery) -> list[DriftEvent]:
    return _events(await count_rows(store, query), query)


async def _frontiers(store: DriftStore, query: DriftQuery) -> dict[int, list[str]]:
    rows = await _rows(store, queries.load_sql("frontier_snapshots"), queries.parameters(query))
    frontiers: dict[int, list[str]] = defaultdict(list)
    for snapshot_ms, model in rows:
        frontiers[int(snapshot_ms)].append(model)
    return dict(frontiers)


async def _frontier_fit(
    store: DriftStore, query: DriftQuery, source: queries.Source, frontiers: Mapping[int, list[str]]
) -> list[FrontierFit]:
    params = queries.parameters(query, source=source)
    rows = await _rows(store, queries.render("frontier_fit", source), params)
    members = {ms: frozenset(models) for ms, models in frontiers.items()}
    return frontier_fit(((r[0], r[1], int(r[2]), int(r[3])) for r in rows), members)


async def _call_sums(
    store: DriftStore, query: DriftQuery, source: queries.Source
) -> list[CallSums]:
    params = queries.parameters(query, source=source)
    rows = await _rows(store, queries.render("checks", source), params)
    return [CallSums(r[0], bool(r[1]), int(r[2]), int(r[3]), int(r[4]), float(r[5])) for r in rows]


async def _sessions(store: DriftStore, query: DriftQuery) -> dict[str, int]:
    rows = await _rows(store, queries.load_sql("pareto_sessions"), queries.parameters(query))
    return {tier: int(n) for tier, n in rows}


async def _review_sums(store: DriftStore, query: DriftQuery) -> list[ReviewSums]:
    params = queries.parameters(query)
    rows = await _rows(store, queries.load_sql("reviews"), params)
    incomplete = await _rows(store, queries.load_sql("reviews_incomplete"), params)
    if incomplete and int(incomplete[0][0]) > 0:
        rows += await _rows(store, queries.load_sql("reviews_joined"), params)
    return [ReviewSums(r[0], bool(r[1]), int(r[2]), float(r[3]), float(r[4])) for r in rows]


async def build_report(
    store: DriftStore, query: DriftQuery, expected_cost_usd: Mapping[str, float], now: float
) -> DriftReportData:
    """The whole report. Queries run one after another: the embedded engine is one process."""
    source = queries.choose_source(query)
    rows = await count_rows(store, query)
    frontiers = await _frontiers(store, query)
    sums = await _call_sums(store, query, source)
    shares = build_shares(rows, by_band_and_requested=False, report_from=query.since)
    return DriftReportData(
        query=query,
        generated_at=now,
        shares=shares,
        events=_events(rows, query),
        frontier_changes=frontier_changes(
            [(ms / 1000, models) for ms, models in frontiers.items()], report_from=query.since
        ),
        frontier_fit=await _frontier_fit(store, query, source, frontiers),
        duplicates=duplicate_rates(sums, await _sessions(store, query)),
        reviews=review_comparisons(await _review_sums(store, query)),
        costs=cost_checks(sums, expected_cost_usd),
        total_selections=sum(s.count for s in shares),
    )
