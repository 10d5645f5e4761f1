"""One measurement of one gateway: h2load against it, with CPU and load bookkeeping."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from benchmarks import h2load, payloads, processes
from benchmarks.context import RunContext

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Plan:
    """Request counts; every run is bounded by these (and h2load's inactivity timeout)."""

    # Enough for Node's JIT and Python's caches to settle before the measured requests.
    c1_warmup: int = 500
    c1_requests: int = 3000
    c1_requests_slow_gateway: int = 600
    c64_clients: int = 64
    c64_warmup_seconds: int = 3
    # Throughput runs last a fixed time; at most 64 / 20 ms = 3,200 req/s reach the mock, so
    # a run sends at most 3,200 x c64_seconds requests.
    c64_seconds: int = 10
    ghz_requests: int = 3000
    sample_calls: int = 20


def measure(
    target: h2load.Target,
    clients: int,
    warmup: int,
    requests: int,
    out_dir: Path,
    label: str,
    service: processes.Service | None,
    duration_s: int = 0,
    warmup_s: int = 0,
) -> dict[str, object]:
    """Warm up, then run the measured load; adds the gateway's CPU use and the load average."""
    warmed = 0
    if warmup or warmup_s:
        warmed = h2load.run(target, clients, warmup, out_dir, f"{label}-warmup", warmup_s).requests
    load_before = processes.load_average()
    cpu_before = processes.cpu_seconds(service.pid) if service else 0.0
    result = h2load.run(target, clients, requests, out_dir, label, duration_s).as_dict()
    cpu_used = (processes.cpu_seconds(service.pid) - cpu_before) if service else 0.0
    result["warmup_requests"] = warmed
    result["loadavg_before"] = load_before[0]
    result["loadavg_after"] = processes.load_average()[0]
    if service is not None:
        result["gateway_cpu_s"] = round(cpu_used, 2)
        ok = int(result["status_2xx"])  # type: ignore[call-overload]
        # Requests per CPU-second of the gateway: less sensitive to other load on the machine.
        result["req_per_gateway_cpu_s"] = round(ok / cpu_used, 1) if cpu_used > 0 else None
    log.info(
        "%s: %.0f req/s p50 %.3f ms p99 %.3f ms (%d ok / %d)",
        label,
        result["req_per_s"],
        result["latency_ms_p50"],
        result["latency_ms_p99"],
        result["status_2xx"],
        result["requests"],
    )
    return result


def measure_c64(
    target: h2load.Target, plan: Plan, out_dir: Path, label: str, service: processes.Service | None
) -> dict[str, object]:
    """The throughput run: `plan.c64_clients` connections for `plan.c64_seconds` after a timed
    warm-up (against the 20 ms mock)."""
    return measure(
        target,
        plan.c64_clients,
        0,
        0,
        out_dir,
        label,
        service,
        duration_s=plan.c64_seconds,
        warmup_s=plan.c64_warmup_seconds,
    )


def grpc_target(name: str, port: int, ctx: RunContext) -> h2load.Target:
    """The RouteSeat gRPC call on a router (or reference server) at `port`, as an h2load target."""
    url = f"http://127.0.0.1:{port}{payloads.GRPC_PATH}"
    return h2load.Target(name, url, ctx.bodies["grpc_framed"], payloads.GRPC_HEADERS, False)
