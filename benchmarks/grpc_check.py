"""Checking that gRPC calls really succeeded (grpc-status 0), which h2load cannot see.

h2load counts HTTP statuses only, and a gRPC error still travels as HTTP 200 with a
``grpc-status`` trailer. Three independent checks cover that gap:
  * ``sample_route_seat``: real RouteSeat calls with the generated client before and after a
    load run, checking the status and that the answer maps the mock's concrete model;
  * ``run_ghz``: ghz (gRPC-native) under the same concurrency, which reports the distribution
    of status codes of every call;
  * the mock's request counter (nginx stub_status), compared with h2load's count by the runner:
    one upstream call per gRPC request means nothing failed before or after the upstream.
"""

from __future__ import annotations

import json
import logging
import subprocess
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from llmcouncil.router.v1 import router_service_pb2_grpc

from benchmarks import mock_upstream, payloads

log = logging.getLogger(__name__)


@dataclass
class SampleCheck:
    calls: int = 0
    codes: dict[str, int] = field(default_factory=dict)
    wrong_model: int = 0

    @property
    def all_ok(self) -> bool:
        return self.codes.get("OK", 0) == self.calls and self.wrong_model == 0 and self.calls > 0


def sample_route_seat(port: int, calls: int, timeout_s: float = 10.0) -> SampleCheck:
    """``calls`` RouteSeat calls in sequence; counts status codes and unexpected models."""
    codes: Counter[str] = Counter()
    wrong = 0
    expected = str(mock_upstream.COMPLETION["model"])
    request = payloads.route_seat_request()
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = router_service_pb2_grpc.RouterServiceStub(channel)
        for _ in range(calls):
            try:
                response = stub.RouteSeat(request, timeout=timeout_s)
            except grpc.RpcError as exc:
                codes[exc.code().name] += 1
                log.warning("RouteSeat sample failed: %s %s", exc.code().name, exc.details())
                continue
            codes["OK"] += 1
            if response.resolved_model != expected:
                wrong += 1
    return SampleCheck(calls=calls, codes=dict(codes), wrong_model=wrong)


def run_ghz(
    ghz: Path, root: Path, port: int, body_raw: Path, clients: int, requests: int, out: Path
) -> dict[str, object]:
    """ghz over ``clients`` connections; returns its status distribution and rates."""
    argv = [
        str(ghz),
        "--insecure",
        "--proto",
        str(root / "protos/llmcouncil/router/v1/router_service.proto"),
        "--import-paths",
        str(root / "protos"),
        "--call",
        "llmcouncil.router.v1.RouterService/RouteSeat",
        "--binary-file",
        str(body_raw),
        "-c",
        str(clients),
        "--connections",
        str(clients),
        "-n",
        str(requests),
        "--timeout",
        "10s",
        "-O",
        "json",
        "-o",
        str(out),
        f"127.0.0.1:{port}",
    ]
    log.info("ghz c=%d n=%d", clients, requests)
    done = subprocess.run(argv, capture_output=True, text=True, timeout=300, check=False)
    if not out.exists():
        raise RuntimeError(f"ghz failed ({done.returncode}): {done.stderr[-1000:]}")
    data = json.loads(out.read_text())
    latencies = {d["percentage"]: d["latency"] / 1e6 for d in data.get("latencyDistribution") or []}
    return {
        "count": data.get("count"),
        "rps": round(float(data.get("rps", 0.0)), 1),
        "status_codes": data.get("statusCodeDistribution"),
        "errors": data.get("errorDistribution"),
        "latency_ms_p50": latencies.get(50),
        "latency_ms_p99": latencies.get(99),
    }
