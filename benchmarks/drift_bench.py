"""Phase 3: the drift report over 10 million selections (30 days, 5 tiers).

The rows are generated inside the engine (drift_data, its own process, the service's
migrations, so the rollup views fill as they do in production); then the telemetry service
is started on that data and GetDriftReport is timed over the whole 30 days with daily
windows and every tier: once cold (first query after start) and then warm, plus the
`telemetry-service drift` CLI once end to end.
"""

from __future__ import annotations

import json
import logging
import statistics
import subprocess
import sys
import time

import grpc
from google.protobuf import duration_pb2, timestamp_pb2
from llmcouncil.telemetry.v1 import telemetry_service_pb2 as pb
from llmcouncil.telemetry.v1 import telemetry_service_pb2_grpc

from benchmarks import processes, services
from benchmarks.context import RunContext

log = logging.getLogger(__name__)

WARM_RUNS = 3


def _stamp(epoch_s: float) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromNanoseconds(int(epoch_s * 1e9))
    return stamp


def run(ctx: RunContext, quick: bool) -> dict[str, object]:
    rows = 1_000_000 if quick else 10_000_000
    data_dir = ctx.work_dir / "drift-data"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.drift_data",
            "--data-dir",
            str(data_dir),
            "--rows",
            str(rows),
            "--breakdown",
        ],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
        cwd=ctx.root,
    )
    (ctx.log_dir / "drift_data.log").write_text(done.stderr)
    if done.returncode != 0:
        return {"error": f"data generation failed: {done.stderr[-2000:]}"}
    data = json.loads(done.stdout.strip().splitlines()[-1])
    log.info("drift data: %s", data)
    result: dict[str, object] = {"data": data}
    # As people ask for it (`drift --since 30d`): `until` unset means now, which lets the
    # service read the hourly rollup.
    default_request = pb.GetDriftReportRequest(
        filter=pb.DriftFilter(
            window=duration_pb2.Duration(seconds=86_400),
            since=_stamp(time.time() - 30 * 86_400),
        )
    )
    # `until` off any rollup bucket edge: the last part must come from seat_selections.
    unaligned_request = pb.GetDriftReportRequest(
        filter=pb.DriftFilter(
            window=duration_pb2.Duration(seconds=86_400),
            since=_stamp(data["since_unix_s"]),
            until=_stamp(data["until_unix_s"]),
        )
    )
    service, port = services.start_telemetry(
        ctx.root, ctx.work_dir, ctx.log_dir, name="telemetry-drift", data_dir=data_dir
    )
    with processes.running(service):
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = telemetry_service_pb2_grpc.TelemetryQueryServiceStub(channel)
            for key, request in (("", default_request), ("unaligned_", unaligned_request)):
                timings: list[float] = []
                for _ in range(1 + WARM_RUNS):
                    started = time.perf_counter()
                    report = stub.GetDriftReport(request, timeout=300).report
                    timings.append(time.perf_counter() - started)
                warm = sorted(timings[1:])
                result.update(
                    {
                        f"{key}total_selections": report.total_selections,
                        f"{key}shares": len(report.shares),
                        f"{key}events": len(report.events),
                        f"{key}tiers": sorted({s.tier for s in report.shares}),
                        f"{key}report_s_cold": round(timings[0], 3),
                        f"{key}report_s_p50": round(statistics.median(warm), 3),
                        f"{key}report_s_max": round(warm[-1], 3),
                    }
                )
        result["loadavg"] = processes.load_average()[0]
        started = time.perf_counter()
        cli = subprocess.run(
            [
                services.venv_bin(ctx.root, "telemetry-service"),
                "drift",
                "--addr",
                f"127.0.0.1:{port}",
                "--since",
                "30d",
                "--window",
                "1d",
                "--format",
                "json",
            ],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
            cwd=ctx.root,
        )
        result["cli_s"] = round(time.perf_counter() - started, 3)
        result["cli_exit"] = cli.returncode
        if cli.returncode != 0:
            result["cli_error"] = cli.stderr[-1000:]
    log.info("drift: %s", {k: v for k, v in result.items() if k != "data"})
    return result
