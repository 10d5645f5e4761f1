"""Fill a fresh embedded engine with drift-report test data (its own process).

``python -m benchmarks.drift_data --data-dir DIR --rows N`` applies the service's migrations
at the path the service uses for ``--data-dir DIR`` and runs sql/drift_selections.sql.
Prints one JSON object (rows, seconds, the covered time range).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from benchmarks import drift_breakdown
from benchmarks.direct_insert import migrate_store
from telemetry_service.config import default_clickhouse_url
from telemetry_service.store import Store

DAYS = 30
SQL = Path(__file__).with_name("sql") / "drift_selections.sql"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--data-dir", type=Path, required=True)
    p.add_argument("--rows", type=int, default=10_000_000)
    p.add_argument("--breakdown", action="store_true", help="time each query of one report")
    args = p.parse_args(argv)
    # One minute back, so the newest row is safely in the past for the report's `until`.
    end_s = time.time() - 60
    step_us = DAYS * 86_400 * 1_000_000 // args.rows
    store = Store.open(default_clickhouse_url(str(args.data_dir), str(Path.cwd())))
    try:
        migrate_store(store)
        started = time.perf_counter()
        store.command_sync(
            SQL.read_text(),
            {"end_us": int(end_s * 1e6), "step_us": step_us, "rows": args.rows},
        )
        seconds = time.perf_counter() - started
        count = store.query_sync("SELECT count() FROM seat_selections").rows[0][0]
        breakdowns = {}
        if args.breakdown:
            breakdowns = {
                "default": drift_breakdown.breakdown(store, time.time() - DAYS * 86_400, None),
                "unaligned": drift_breakdown.breakdown(store, end_s - DAYS * 86_400, end_s + 1),
            }
    finally:
        store.close()
    json.dump(
        {
            "rows": int(count),
            "insert_s": round(seconds, 1),
            "until_unix_s": end_s + 1,
            "since_unix_s": end_s - DAYS * 86_400,
            "breakdown": breakdowns,
        },
        sys.stdout,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
