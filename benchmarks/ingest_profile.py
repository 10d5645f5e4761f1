"""Where an ingested span's time goes, and the end-to-end ingest rate of one process.

Run from the repository root, one mode per process (one embedded engine per process):

``python -m benchmarks.ingest_profile map [--requests N] [--spans-per-request S]``
    maps the benchmark's export requests (benchmarks.otlp_spans) with the service's pure
    mapper three times (fastest CPU time kept), then logs cProfile's top functions.
``python -m benchmarks.ingest_profile direct --work DIR``
    inserts the mapped rows straight into a fresh, migrated engine through the service's
    Store, per table and both tables together (the direct-insert limit), in batches of the
    service's default size.
``python -m benchmarks.ingest_profile native-decode --work DIR``
    how fast the embedded engine itself decodes the same serialized requests (ClickHouse's
    Protobuf input format, a wire-compatible subset of the OTLP schema written to DIR, oneof
    presence on) and flattens them to one row per span with its attributes: the ceiling of
    a design that maps in SQL instead of Python. Nothing is inserted.
``python -m benchmarks.ingest_profile e2e --work DIR [--concurrency C] [--env NAME=VALUE]``
    starts ``telemetry-service serve`` on a fresh data directory, sends the pre-serialized
    requests over loopback from this process with C concurrent exports, and counts the
    seat_selections / otel_traces rows afterwards (exports are acknowledged only once their
    rows are written, so spans / send time is the sustained rate). ``--env`` (repeatable)
    sets service variables, e.g. ``--env TELEMETRY_INGEST_MODE=native``.

Each mode prints one JSON object (with the date and load average) on stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import logging
import os
import pstats
import sys
import time
from pathlib import Path

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from benchmarks import otlp_spans, processes, profiling, services, telemetry_client
from telemetry_service import migrate
from telemetry_service.clickhouse_writer import TableRows, merge_parts
from telemetry_service.otlp_receiver import span_parts
from telemetry_service.span_rows import rows_from_request
from telemetry_service.store import Store

log = logging.getLogger(__name__)

REPEATS = 3
SEED = 7
WARMUP_SEED = 99
ROOT = Path(__file__).resolve().parent.parent


def map_all(requests: list[ExportTraceServiceRequest]) -> list[TableRows]:
    """Every request mapped, then merged per table as the batch writer merges exports."""
    return merge_parts([span_parts(rows_from_request(request)) for request in requests])


def parse(payloads: list[bytes]) -> list[ExportTraceServiceRequest]:
    return [ExportTraceServiceRequest.FromString(raw) for raw in payloads]


def run_map(args: argparse.Namespace) -> dict[str, object]:
    requests = parse(otlp_spans.build_requests(args.requests, args.spans_per_request, SEED))
    spans = args.requests * args.spans_per_request
    best = float("inf")
    for _ in range(REPEATS):
        started = time.process_time()
        map_all(requests)
        best = min(best, time.process_time() - started)
    profiler = cProfile.Profile()
    profiler.enable()
    map_all(requests)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(args.profile_top)
    log.info("%s", out.getvalue())
    return {
        "spans": spans,
        "map_us_per_span": round(best / spans * 1e6, 2),
        "map_spans_per_cpu_s": round(spans / best, 1),
    }


def _insert(store: Store, parts: list[TableRows], batch_rows: int) -> None:
    for part in parts:
        for lo in range(0, len(part.rows), batch_rows):
            chunk = TableRows(part.table, part.column_names, part.rows[lo : lo + batch_rows])
            store.insert_columns_sync(part.table, chunk.columns(), part.column_names)


def run_direct(args: argparse.Namespace) -> dict[str, object]:
    requests = parse(otlp_spans.build_requests(args.requests, args.spans_per_request, SEED))
    spans = args.requests * args.spans_per_request
    parts = [part for part in map_all(requests) if part.rows]
    warm = [p for p in map_all(parse(otlp_spans.build_requests(2, 1000, WARMUP_SEED))) if p.rows]
    store = Store.open(f"chdb://{args.work / 'direct-db'}")
    result: dict[str, object] = {"spans": spans}
    try:
        steps = migrate.plan(migrate.load_migrations(), migrate.ttl_params(30, 400), "")
        migrate.apply_migrations(store.command_sync, lambda sql: store.query_sync(sql).rows, steps)
        # The first insert into a table pays one-time engine costs: not timed.
        _insert(store, warm, args.batch_rows)
        for part in parts:
            started = time.perf_counter()
            _insert(store, [part], args.batch_rows)
            result[f"{part.table}_rows_per_s"] = round(
                len(part.rows) / (time.perf_counter() - started), 1
            )
        started = time.perf_counter()
        _insert(store, parts, args.batch_rows)
        result["both_tables_spans_per_s"] = round(spans / (time.perf_counter() - started), 1)
    finally:
        store.close()
    return result


# Field numbers as in opentelemetry/proto/{common,trace,collector/trace}/v1; only what the
# decode reads (unknown fields are skipped). Array items are not recursive here.
OTLP_SUBSET_PROTO = """syntax = "proto3";
message LeafValue { string string_value = 1; bool bool_value = 2; int64 int_value = 3;
  double double_value = 4; }
message ArrayValue { repeated LeafValue values = 1; }
message AnyValue { oneof value { string string_value = 1; bool bool_value = 2;
  int64 int_value = 3; double double_value = 4; ArrayValue array_value = 5;
  bytes bytes_value = 7; } }
message KeyValue { string key = 1; AnyValue value = 2; }
message Span { bytes trace_id = 1; bytes span_id = 2; string name = 5;
  fixed64 start_time_unix_nano = 7; fixed64 end_time_unix_nano = 8;
  repeated KeyValue attributes = 9; }
message ScopeSpans { repeated Span spans = 2; }
message ResourceSpans { repeated ScopeSpans scope_spans = 2; }
message ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
"""
_ANY_VALUE = (
    "Tuple(value Enum8('unset' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, "
    "'double_value' = 4, 'array_value' = 5, 'bytes_value' = 7), string_value String, "
    "bool_value Bool, int_value Int64, double_value Float64, "
    "array_value Tuple(values Array(Tuple(string_value String))))"
)
OTLP_SUBSET_STRUCTURE = (
    "resource_spans Array(Tuple(scope_spans Array(Tuple(spans Array(Tuple("
    "trace_id String, span_id String, name String, start_time_unix_nano UInt64, "
    f"end_time_unix_nano UInt64, attributes Array(Tuple(key String, value {_ANY_VALUE}))"
    "))))))"
)


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def run_native_decode(args: argparse.Namespace) -> dict[str, object]:
    import chdb  # the embedded engine's own API: a one-off engine, no Store needed

    payloads = otlp_spans.build_requests(args.requests, args.spans_per_request, SEED)
    spans = args.requests * args.spans_per_request
    args.work.mkdir(parents=True, exist_ok=True)
    schema = args.work / "otlp_subset.proto"
    schema.write_text(OTLP_SUBSET_PROTO)
    data = args.work / "requests.bin"
    # The Protobuf format reads length-delimited messages (varint length, then the bytes).
    data.write_bytes(b"".join(_varint(len(raw)) + raw for raw in payloads))
    structure = OTLP_SUBSET_STRUCTURE.replace("'", "\\'")
    sql = (
        "SELECT count(), sum(length(span.attributes)), "
        "countIf(arrayExists(a -> a.value.value = 'array_value', span.attributes)) "
        f"FROM file('{data}', 'Protobuf', '{structure}') "
        "ARRAY JOIN resource_spans AS rs ARRAY JOIN rs.scope_spans AS ss "
        "ARRAY JOIN ss.spans AS span "
        f"SETTINGS input_format_protobuf_oneof_presence = 1, "
        f"format_schema = '{schema}:ExportTraceServiceRequest'"
    )
    best = float("inf")
    counts = ""
    for _ in range(REPEATS):
        started = time.perf_counter()
        counts = str(chdb.query(sql, "CSV")).strip()
        best = min(best, time.perf_counter() - started)
    return {
        "spans": spans,
        "decoded_spans_attributes_spans_with_arrays": counts,
        "decode_flatten_spans_per_s": round(spans / best, 1),
    }


def run_e2e(args: argparse.Namespace) -> dict[str, object]:
    payloads = otlp_spans.build_requests(args.requests, args.spans_per_request, SEED)
    warmup = otlp_spans.build_requests(2, args.spans_per_request, WARMUP_SEED)
    spans = args.requests * args.spans_per_request
    args.work.mkdir(parents=True, exist_ok=True)
    # --pythonpath runs another copy of the package (e.g. a saved "before" tree) instead.
    extra_env = {"PYTHONPATH": str(args.pythonpath)} if args.pythonpath else {}
    extra_env.update(args.env)
    service, port = services.start_telemetry(
        ROOT,
        args.work,
        args.work,
        name="telemetry-profile",
        data_dir=args.work / "e2e-db",
        extra_env=extra_env,
    )
    with processes.running(service):
        asyncio.run(telemetry_client.export_all(port, warmup, 2))
        cpu_before = processes.cpu_seconds(service.pid)
        profiles: dict[str, object] = {}
        # --py-spy samples the service while the load runs (needs py-spy in .tools).
        with profiling.maybe_profile(
            ROOT / ".tools", args.py_spy, service.pid, args.work, "ingest-e2e", profiles
        ):
            sent = asyncio.run(telemetry_client.export_all(port, payloads, args.concurrency))
        cpu_used = processes.cpu_seconds(service.pid) - cpu_before
        selections = telemetry_client.query_scalar(port, "SELECT count() FROM seat_selections")
        traces = telemetry_client.query_scalar(port, "SELECT count() FROM otel_traces")
    expected = spans + len(warmup) * args.spans_per_request
    return {
        "spans": spans,
        "concurrency": args.concurrency,
        "env": args.env,
        "spans_per_s": round(spans / sent.seconds, 1),
        "retries": sent.retries,
        "failed": sent.failed,
        "rows_expected": expected,
        "rows_seat_selections": int(selections),
        "rows_otel_traces": int(traces),
        "service_cpu_s": round(cpu_used, 2),
        "spans_per_service_cpu_s": round(spans / cpu_used, 1) if cpu_used else None,
        **({"profile": profiles} if profiles else {}),
    }


def _env_pair(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"--env wants NAME=VALUE, got {text!r}")
    return name, value


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["map", "direct", "native-decode", "e2e"])
    p.add_argument("--work", type=Path, default=Path("/tmp/ingest-profile"))
    p.add_argument("--requests", type=int, default=100)
    p.add_argument("--spans-per-request", type=int, default=1000)
    p.add_argument("--batch-rows", type=int, default=50_000)
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument("--profile-top", type=int, default=20)
    p.add_argument("--pythonpath", type=Path, default=None)
    p.add_argument("--py-spy", action="store_true")
    p.add_argument("--env", type=_env_pair, action="append", default=[])
    args = p.parse_args(argv)
    args.env = dict(args.env)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    modes = {
        "map": run_map,
        "direct": run_direct,
        "native-decode": run_native_decode,
        "e2e": run_e2e,
    }
    result = {
        "mode": args.mode,
        "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "loadavg_before": os.getloadavg()[0],
        **modes[args.mode](args),
        "loadavg_after": os.getloadavg()[0],
    }
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
