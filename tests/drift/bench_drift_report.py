"""One-off measurement: the drift report over 10 million selections on the embedded engine.

Run: python -m tests.drift.bench_drift_report [--rows N] [--path DIR]
Rows are generated inside ClickHouse with numbers() and inserted into seat_selections, so the
materialised views fill the rollups as they would from the receiver. Prints timings only.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from telemetry_service.drift import analysis, queries
from telemetry_service.drift.filters import resolve_filter
from tests.drift.conftest import DRIFT_TTL_DAYS
from tests.store_support import open_migrated_store

DAY = 86_400
DAYS = 60
# Five tiers; per row: a quarter Pareto seats (three resolved models per tier, moving every
# 20 days), three quarters named seats (three models); 2,500 council sessions a day.
INSERT = """
INSERT INTO seat_selections
    (event_time, trace_id, span_id, session_id, seat_id, tier, requested_model, resolved_model,
     generation_id, pareto_applied, pareto_band, duplicate_of_pool, status, cost_usd)
SELECT
    fromUnixTimestamp64Micro(toInt64({start_us:Int64} + number * {step_us:Int64}), 'UTC'),
    hex(cityHash64(number, 1)),
    hex(cityHash64(number, 2)),
    concat('s', toString(intDiv(number, 16))),
    toString(number % 4),
    ['quick', 'balanced', 'high', 'reasoning', 'frontier'][intDiv(number, 4) % 5 + 1] AS t,
    if(number % 4 = 0, 'openrouter/pareto-code', concat('named/', t, '-', toString(number % 4))),
    if(number % 4 = 0,
       concat('pareto/', t, '-', toString((cityHash64(number) % 3)
              + intDiv(number * 3, {rows:UInt64}))),
       concat('named/', t, '-', toString(number % 4))),
    concat('gen-', toString(number)),
    number % 4 = 0,
    ['low', 'medium', 'high', 'high', 'high'][intDiv(number, 4) % 5 + 1],
    number % 4 = 0 AND cityHash64(number) % 10 = 0,
    'ok',
    (cityHash64(number, 3) % 1000) / 100000.0
FROM numbers({rows:UInt64})
"""


async def timed(label: str, coro: object) -> object:
    started = time.perf_counter()
    result = await coro  # type: ignore[misc]
    print(f"{label}: {time.perf_counter() - started:.3f} s")
    return result


async def main(rows: int, path: Path) -> None:
    store = open_migrated_store(
        path, raw_ttl_days=DRIFT_TTL_DAYS, selections_ttl_days=DRIFT_TTL_DAYS
    )
    try:
        now = time.time()
        start = (int(now) // DAY - DAYS) * DAY
        started = time.perf_counter()
        await store.command(
            INSERT,
            {
                "start_us": start * 1_000_000,
                "step_us": DAYS * DAY * 1_000_000 // rows,
                "rows": rows,
            },
        )
        elapsed = time.perf_counter() - started
        print(f"insert {rows} rows (with both materialised views): {elapsed:.1f} s")
        for table in ("seat_selections", "selection_rollup_1m", "selection_rollup_1h"):
            count = (await store.query(f"SELECT count() FROM {table}")).rows[0][0]
            print(f"  {table}: {count} rows")
        cases = [
            ("60 days, 1d windows", DAY, start, None),
            ("7 days, 1h windows", 3600, start + 53 * DAY, None),
            ("60 days, 1d windows, until not on an hour", DAY, start, now - 1.5),
            ("60 days, windows of 1d + 30s (raw table)", DAY + 30, start, None),
            ("1 hour, 10s windows", 10, start + 30 * DAY, start + 30 * DAY + 3600),
        ]
        for label, window, since, until in cases:
            query = resolve_filter(
                tier="",
                window_s=window,
                since=since,
                until=until,
                requested_model="",
                divergence_threshold=0.0,
                now=now,
            )
            source = queries.choose_source(query)
            report = await timed(
                f"report, {label}, from {source}",
                analysis.build_report(store, query, {}, now),
            )
            assert isinstance(report, analysis.DriftReportData)
            print(f"  {report.total_selections} selections, {len(report.events)} events")
    finally:
        store.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--path", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="drift-bench-") as tmp:
        asyncio.run(main(args.rows, args.path or Path(tmp) / "clickhouse"))
