"""Ground truth: 60 days of selections with known change points; the report finds each
change in its window and nothing in the stable stretches."""

from __future__ import annotations

import random
import time
from typing import Any

import pytest

from telemetry_service.drift import analysis, queries
from telemetry_service.drift.events import EventKind
from telemetry_service.drift.filters import DriftQuery, resolve_filter
from telemetry_service.store import Store
from tests.drift.drift_rows import DAY, insert_selections, sample_counts, selection

# Per tier: list of (first day, shares) regimes; a change point starts each later regime.
REGIMES: dict[str, list[tuple[int, dict[str, float]]]] = {
    "balanced": [
        (0, {"a/alpha": 0.7, "b/beta": 0.3}),
        (20, {"c/gamma": 0.75, "b/beta": 0.25}),
        (40, {"c/gamma": 0.3, "b/beta": 0.7}),
    ],
    "quick": [(0, {"q/one": 0.97, "q/two": 0.03}), (30, {"q/one": 0.58, "q/two": 0.42})],
    "high": [(0, {"x/a": 0.6, "y/b": 0.3, "z/c": 0.1})],
}
CHANGES = {("balanced", 20), ("balanced", 40), ("quick", 30)}
DAYS = 60


def shares_on(tier: str, day: int) -> dict[str, float]:
    return [shares for first, shares in REGIMES[tier] if first <= day][-1]


def ground_truth_rows(start: float, seed: int = 11) -> list[tuple[Any, ...]]:
    rng = random.Random(seed)
    rows: list[tuple[Any, ...]] = []
    for tier in REGIMES:
        for day in range(DAYS):
            n = rng.randint(100, 160)
            lo = start + day * DAY
            rows += sample_counts(rng, lo, lo + DAY, tier, shares_on(tier, day), n)
    return rows


def start_of_range() -> float:
    return (time.time() // DAY - DAYS - 1) * DAY


def query_for(start: float, **overrides: Any) -> DriftQuery:
    args: dict[str, Any] = {
        "tier": "",
        "window_s": DAY,
        "since": start,
        "until": start + DAYS * DAY,
        "requested_model": "",
        "divergence_threshold": 0.0,
        "now": time.time(),
    }
    args.update(overrides)
    return resolve_filter(**args)


async def test_every_change_is_found_in_its_window_and_nowhere_else(store: Store) -> None:
    start = start_of_range()
    await insert_selections(store, ground_truth_rows(start))
    events = await analysis.drift_events(store, query_for(start))
    found = {(e.tier, round((e.window_start - start) / DAY)) for e in events}
    assert found == CHANGES
    first = {
        (e.kind, e.model)
        for e in events
        if (e.tier, e.window_start) == ("balanced", start + 20 * DAY)
    }
    assert first == {
        (EventKind.TOP_MODEL_CHANGED, "c/gamma"),
        (EventKind.MODEL_APPEARED, "c/gamma"),
        (EventKind.MODEL_DISAPPEARED, "a/alpha"),
    }
    assert all(e.evidence_count >= 100 for e in events)


async def test_other_seeds_stay_free_of_false_alarms(store: Store) -> None:
    start = start_of_range()
    rows: list[tuple[Any, ...]] = []
    for seed in (1, 2, 3):
        rows += ground_truth_rows(start + 0.0, seed)
    await insert_selections(store, rows)
    events = await analysis.drift_events(store, query_for(start))
    assert {(e.tier, round((e.window_start - start) / DAY)) for e in events} == CHANGES


@pytest.mark.parametrize(
    ("window_s", "until_offset_s", "source"),
    [
        pytest.param(DAY, 0, queries.Source("selection_rollup_1h"), id="hour-aligned-rollup"),
        pytest.param(
            DAY,
            -1,
            queries.Source("selection_rollup_1h", raw_from=(DAYS * DAY) - 3600),
            id="unaligned-until-rollup-plus-raw-tail",
        ),
        pytest.param(DAY + 1, 0, queries.Source("raw_selections"), id="odd-window-raw-table"),
    ],
)
async def test_every_source_gives_the_same_counts(
    store: Store, window_s: float, until_offset_s: int, source: queries.Source
) -> None:
    start = start_of_range()
    rows = ground_truth_rows(start)
    await insert_selections(store, rows)
    until = start + DAYS * DAY + until_offset_s
    query = query_for(start, window_s=window_s, until=until)
    expected_source = source
    if source.raw_from is not None:
        expected_source = queries.Source(source.table, start + source.raw_from)
    assert queries.choose_source(query) == expected_source
    shares = await analysis.selection_shares(store, query)
    expected: dict[tuple[float, str, str], int] = {}
    for row in rows:
        at = row[0].timestamp()
        if at < until:
            key = (at // query.window_s * query.window_s, row[5], row[7])
            expected[key] = expected.get(key, 0) + 1
    assert {(s.window_start, s.tier, s.resolved_model): s.count for s in shares} == expected


async def test_ten_second_windows_read_the_raw_table_and_split_a_minute(store: Store) -> None:
    start = start_of_range()
    await insert_selections(
        store,
        [selection(start + 1, "high", "m/a"), selection(start + 12, "high", "m/b")],
    )
    query = query_for(start, window_s=10, until=start + 60)
    assert queries.choose_source(query) == queries.Source("raw_selections")
    shares = await analysis.selection_shares(store, query)
    assert [(s.window_start - start, s.resolved_model, s.share) for s in shares] == [
        (0, "m/a", 1.0),
        (10, "m/b", 1.0),
    ]


async def test_retried_export_counts_once_in_the_raw_table(store: Store) -> None:
    start = start_of_range()
    row = selection(start + 5, "high", "m/a")
    await insert_selections(store, [row])
    await insert_selections(store, [row])
    query = query_for(start, window_s=10, until=start + 60)
    shares = await analysis.selection_shares(store, query)
    assert [s.count for s in shares] == [1]
