"""Router and telemetry together, tracing on: freshness, and RSS under the throughput run.

1. Router (fast mock) exporting OTLP to a fresh telemetry service: freshness of RouteSeat
   rows (freshness.py) at a steady 20 calls/s.
2. Router restarted on the 20 ms mock, still exporting: h2load at c=64; peak RSS of the
   router and of the telemetry service under that load; rows in seat_selections with
   status 'ok' compared with the requests sent (each successful call is one ok row, so this
   is one more check of grpc-status beside the client samples).
"""

from __future__ import annotations

import logging
import time

from benchmarks import (
    freshness,
    grpc_check,
    mock_upstream,
    processes,
    services,
    telemetry_client,
)
from benchmarks.context import RunContext
from benchmarks.gateway_load import grpc_target, measure

log = logging.getLogger(__name__)


def run(ctx: RunContext, quick: bool) -> dict[str, object]:
    calls = 60 if quick else 300
    c64_seconds = 3 if quick else 10
    result: dict[str, object] = {}
    mock = mock_upstream.start_mock(ctx.work_dir / "nginx-full", ctx.log_dir)
    with processes.running(mock.service):
        telemetry, t_port = services.start_telemetry(
            ctx.root,
            ctx.work_dir,
            ctx.log_dir,
            name="telemetry-full",
            data_dir=ctx.work_dir / "full-db",
        )
        with processes.running(telemetry):
            endpoint = f"http://127.0.0.1:{t_port}"
            router, r_port = services.start_router(
                ctx.root,
                ctx.work_dir,
                ctx.log_dir,
                name="router-full-fast",
                base_url=mock.base_url(slow=False),
                workers=2,
                otlp_endpoint=endpoint,
            )
            with processes.running(router):
                fresh = freshness.measure(r_port, t_port, calls, interval_s=0.05)
                result["freshness"] = fresh.summary()
                log.info("freshness: %s", result["freshness"])
            rows_before = telemetry_client.query_scalar(
                t_port, "SELECT count() FROM seat_selections WHERE status = 'ok'"
            )
            router, r_port = services.start_router(
                ctx.root,
                ctx.work_dir,
                ctx.log_dir,
                name="router-full-slow",
                base_url=mock.base_url(slow=True),
                workers=2,
                otlp_endpoint=endpoint,
            )
            with processes.running(router):
                target = grpc_target("router+telemetry", r_port, ctx)
                load = measure(
                    target,
                    64,
                    0,
                    0,
                    ctx.out_dir,
                    "full-c64",
                    router,
                    duration_s=c64_seconds,
                    warmup_s=3,
                )
                result["throughput_c64"] = load
                result["router_memory"] = {"peak_rss_mib_sum": router.memory().peak_rss_mib_sum}
                result["checks_after"] = vars(grpc_check.sample_route_seat(r_port, 10))
            # The router flushed its spans on stop; give the writer its flush interval.
            expected = int(load["warmup_requests"]) + int(load["requests"]) + 10  # type: ignore[call-overload]
            rows = rows_before
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                rows = telemetry_client.query_scalar(
                    t_port, "SELECT count() FROM seat_selections WHERE status = 'ok'"
                )
                if rows - rows_before >= expected:
                    break
                time.sleep(0.5)
            result["ok_rows_for_load"] = {"rows": int(rows - rows_before), "expected": expected}
            result["telemetry_memory"] = {"peak_rss_mib_sum": telemetry.memory().peak_rss_mib_sum}
            result["router_stop_s"] = router.stop_seconds
        result["telemetry_stop_s"] = telemetry.stop_seconds
    log.info("full stack: %s", result)
    return result
