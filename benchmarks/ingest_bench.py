"""Phase 2: OTLP ingest into the embedded engine, one telemetry process, against the limit.

The service run: pre-serialized export requests (512 realistic selection spans each, the
router exporter's batch size) sent by several concurrent grpc.aio exports; the service
acknowledges an export only once its rows are in ClickHouse, so spans / (last ack - first
send) is the sustained ingest rate. The limit: the same spans mapped by the same pure
mapper and inserted by the same Store into a fresh engine in one process (direct_insert).
"""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import sys
from dataclasses import asdict

from benchmarks import otlp_spans, processes, profiling, services, telemetry_client
from benchmarks.context import RunContext
from telemetry_service.config import load_settings

log = logging.getLogger(__name__)

SPANS_PER_REQUEST = 512
CONCURRENCY = 8
SEED = 7
WARMUP_SEED = 99


INGEST_MODES = ("python", "native")
# What `telemetry-service serve` picks on the embedded engine with no TELEMETRY_INGEST_MODE.
DEFAULT_MODE = load_settings({}, cwd="/tmp").ingest_mode


def _service_run(
    ctx: RunContext, mode: str, warmup: list[bytes], payloads: list[bytes], spans: int
) -> dict[str, object]:
    name = f"telemetry-ingest-{mode}"
    service, port = services.start_telemetry(
        ctx.root,
        ctx.work_dir,
        ctx.log_dir,
        name=name,
        data_dir=ctx.work_dir / f"ingest-db-{mode}",
        extra_env={"TELEMETRY_INGEST_MODE": mode},
    )
    with processes.running(service):
        asyncio.run(telemetry_client.export_all(port, warmup, 2))
        cpu_before = processes.cpu_seconds(service.pid)
        load_before = processes.load_average()[0]
        profiles: dict[str, object] = {}
        with profiling.maybe_profile(
            ctx.tools_dir, ctx.profile, service.pid, ctx.out_dir, name, profiles
        ):
            sent = asyncio.run(telemetry_client.export_all(port, payloads, CONCURRENCY))
        cpu_used = processes.cpu_seconds(service.pid) - cpu_before
        rows = telemetry_client.query_scalar(port, "SELECT count() FROM seat_selections")
        mem = service.memory()
        out: dict[str, object] = {
            **asdict(sent),
            "ingest_mode": mode,
            "concurrency": CONCURRENCY,
            "spans_per_s": round(spans / sent.seconds, 1),
            "rows_in_seat_selections": int(rows),
            "rows_expected": spans + len(warmup) * SPANS_PER_REQUEST,
            "service_cpu_s": round(cpu_used, 2),
            "spans_per_service_cpu_s": round(spans / cpu_used, 1) if cpu_used else None,
            "peak_rss_mib": mem.peak_rss_mib_sum,
            "loadavg_before": load_before,
            "loadavg_after": processes.load_average()[0],
        }
        if profiles:
            out["profiles"] = profiles
        log.info("ingest (%s): %s", mode, out)
    # Seconds from SIGTERM to exit, with the rows all acknowledged (a drain with nothing left).
    out["telemetry_stop_s"] = service.stop_seconds
    return out


def run(ctx: RunContext, quick: bool) -> dict[str, object]:
    n_requests = 40 if quick else 200
    warmup = otlp_spans.build_requests(4, SPANS_PER_REQUEST, WARMUP_SEED)
    payloads = otlp_spans.build_requests(n_requests, SPANS_PER_REQUEST, SEED)
    spans = n_requests * SPANS_PER_REQUEST
    result: dict[str, object] = {"spans": spans, "spans_per_export": SPANS_PER_REQUEST}

    # Every ingest mode side by side, each on a fresh service and data directory; "service"
    # is the default mode's run (the figure the targets use).
    for mode in INGEST_MODES:
        result[f"service_{mode}"] = _service_run(ctx, mode, warmup, payloads, spans)
    result["service"] = result[f"service_{DEFAULT_MODE}"]
    result["default_ingest_mode"] = DEFAULT_MODE

    argv = [
        sys.executable,
        "-m",
        "benchmarks.direct_insert",
        "--db",
        str(ctx.work_dir / "direct-db"),
        "--requests",
        str(n_requests),
        "--spans-per-request",
        str(SPANS_PER_REQUEST),
        "--seed",
        str(SEED),
    ]
    done = subprocess.run(
        argv, capture_output=True, text=True, timeout=600, check=False, cwd=ctx.root
    )
    (ctx.log_dir / "direct_insert.log").write_text(done.stderr)
    if done.returncode != 0:
        result["direct_insert"] = {"error": done.stderr[-2000:]}
    else:
        result["direct_insert"] = json.loads(done.stdout.strip().splitlines()[-1])
    log.info("direct insert: %s", result["direct_insert"])
    return result
