"""The direct-insert limit: the same rows, inserted straight into a fresh embedded engine.

Run as its own process (one embedded engine per process):
``python -m benchmarks.direct_insert --db DIR --requests N --spans-per-request S --seed K``.
It builds the same export requests as the ingest run (same seed), maps them with the
service's own pure mapper (timed apart), then inserts the otel_traces and seat_selections
rows column-oriented in batches of the service's default size through the service's own
Store, after the service's migrations. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from benchmarks import otlp_spans
from telemetry_service import migrate
from telemetry_service.clickhouse_writer import to_columns
from telemetry_service.genai_rows import SEAT_SELECTIONS_COLUMNS
from telemetry_service.span_rows import OTEL_TRACES_COLUMNS, rows_from_request
from telemetry_service.store import Store


def migrate_store(store: Store) -> None:
    """The service's own migrations, single-node form."""
    steps = migrate.plan(migrate.load_migrations(), migrate.ttl_params(30, 400), "")
    migrate.apply_migrations(store.command_sync, lambda sql: store.query_sync(sql).rows, steps)


def _insert(
    store: Store, traces: list[tuple[object, ...]], selections: list[tuple[object, ...]]
) -> None:
    """Both tables, column-oriented, as the service's batch writer inserts them."""
    store.insert_columns_sync(
        "otel_traces", to_columns(traces, len(OTEL_TRACES_COLUMNS)), OTEL_TRACES_COLUMNS
    )
    store.insert_columns_sync(
        "seat_selections",
        to_columns(selections, len(SEAT_SELECTIONS_COLUMNS)),
        SEAT_SELECTIONS_COLUMNS,
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--db", type=Path, required=True)
    p.add_argument("--requests", type=int, required=True)
    p.add_argument("--spans-per-request", type=int, required=True)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--warmup-seed", type=int, default=99)
    p.add_argument("--batch-rows", type=int, default=50_000)
    args = p.parse_args(argv)

    payloads = otlp_spans.build_requests(args.requests, args.spans_per_request, args.seed)
    started = time.process_time()
    traces: list[tuple[object, ...]] = []
    selections: list[tuple[object, ...]] = []
    for raw in payloads:
        batch = rows_from_request(ExportTraceServiceRequest.FromString(raw))
        traces.extend(batch.traces)
        selections.extend(batch.selections)
    map_cpu_s = time.process_time() - started
    spans = len(selections)

    store = Store.open(f"chdb://{args.db}")
    try:
        migrate_store(store)
        # The first insert into each table pays the engine's one-time costs; the service run
        # gets the same warm-up export before it is timed.
        for raw in otlp_spans.build_requests(4, args.spans_per_request, args.warmup_seed):
            warm = rows_from_request(ExportTraceServiceRequest.FromString(raw))
            _insert(store, warm.traces, warm.selections)
        wall = time.perf_counter()
        for lo in range(0, spans, args.batch_rows):
            hi = lo + args.batch_rows
            store.insert_columns_sync(
                "otel_traces",
                to_columns(traces[lo:hi], len(OTEL_TRACES_COLUMNS)),
                OTEL_TRACES_COLUMNS,
            )
            store.insert_columns_sync(
                "seat_selections",
                to_columns(selections[lo:hi], len(SEAT_SELECTIONS_COLUMNS)),
                SEAT_SELECTIONS_COLUMNS,
            )
        insert_s = time.perf_counter() - wall
        count = store.query_sync("SELECT count() FROM seat_selections").rows[0][0]
        count -= 4 * args.spans_per_request
    finally:
        store.close()
    json.dump(
        {
            "spans": spans,
            "rows_in_seat_selections": int(count),
            "batch_rows": args.batch_rows,
            "insert_s": round(insert_s, 3),
            "rows_per_s": round(spans / insert_s, 1),
            "map_cpu_us_per_span": round(map_cpu_s / spans * 1e6, 2),
            "map_only_spans_per_cpu_s": round(spans / map_cpu_s, 1),
        },
        sys.stdout,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
