"""Soak: a steady rate through router -> telemetry -> ClickHouse, all real processes.

Zero errors, RSS growth under 10 % after warm-up, open fds stable, and every selection
stored exactly once. SOAK_SECONDS (default 20) and SOAK_RATE (calls per second, default
15) set the length and load; RELIABILITY_FIGURES=<file> appends the run's figures as JSON.
"""

from __future__ import annotations

import os
import signal
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import grpc
import pytest
from llmcouncil.router.v1 import router_service_pb2 as pb
from llmcouncil.router.v1 import router_service_pb2_grpc as pb_grpc

from tests.reliability.reliability_procs import ProcessGroup, SimControl, record_figures
from tests.reliability.reliability_rpc import NAMED_MODEL, PARETO, query_rows, seat_request

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SOAK_SECONDS = float(os.environ.get("SOAK_SECONDS", "20"))
SOAK_RATE = float(os.environ.get("SOAK_RATE", "15"))
# The first part of the run (at least 5 s) is warm-up: pools, caches, first merges.
WARMUP_FRACTION = 0.25
MAX_RSS_GROWTH = 0.10
TIERS = [pb.TIER_QUICK, pb.TIER_BALANCED, pb.TIER_HIGH, pb.TIER_REASONING, pb.TIER_FRONTIER]
MODELS = [PARETO, PARETO, PARETO, "openrouter/pareto-code:nitro", NAMED_MODEL]


@dataclass
class Figures:
    seconds: float
    rate_per_s: float
    requests: int
    streams: int
    errors: int
    rows_expected: int
    rows_found_final: int
    rows_found_raw: int
    distinct_trace_ids: int
    router_rss_kib_after_warmup: int
    router_rss_kib_end: int
    telemetry_rss_kib_after_warmup: int
    telemetry_rss_kib_end: int
    router_fds_after_warmup: int
    router_fds_end: int


def _one_call(stub: pb_grpc.RouterServiceStub, index: int) -> str:
    request = seat_request(
        model=MODELS[index % len(MODELS)],
        tier=TIERS[index % len(TIERS)],
        session_id=f"soak-{index // 5}",
        seat_id=f"seat-{index % 5}",
        pool_models=[NAMED_MODEL, "openai/gpt-5.4"],
    )
    if index % 4 == 3:
        events = list(stub.StreamSeat(pb.StreamSeatRequest(seat=request), timeout=30.0))
        return events[-1].summary.trace_id
    return str(stub.RouteSeat(request, timeout=30.0).trace_id)


class SteadyLoad:
    """Submits one call every 1/rate seconds, whatever the previous ones are doing."""

    def __init__(self, stub: pb_grpc.RouterServiceStub, rate: float) -> None:
        self._stub = stub
        self._interval = 1.0 / rate
        self._pool = ThreadPoolExecutor(max_workers=16)
        self._futures: list[Future[str]] = []
        self._index = 0

    def run_for(self, seconds: float) -> None:
        start = time.monotonic()
        sent = 0
        while time.monotonic() - start < seconds:
            self._futures.append(self._pool.submit(_one_call, self._stub, self._index))
            self._index += 1
            sent += 1
            time.sleep(max(0.0, start + sent * self._interval - time.monotonic()))

    def results(self) -> tuple[list[str], list[BaseException]]:
        self._pool.shutdown(wait=True)
        ids, errors = [], []
        for future in self._futures:
            error = future.exception()
            if error is None:
                ids.append(future.result())
            else:
                errors.append(error)
        return ids, errors


def test_soak_has_no_errors_bounded_rss_and_stores_every_selection_once(
    group: ProcessGroup, tmp_path: Path
) -> None:
    sim = group.sim()
    control = SimControl(sim)
    control.close()
    telemetry = group.telemetry(tmp_path / "soak-data")
    router = group.router(
        control.base_url,
        telemetry=f"http://{telemetry.target}",
        env={"OTEL_BSP_SCHEDULE_DELAY": "200"},
    )
    warmup_s = max(5.0, SOAK_SECONDS * WARMUP_FRACTION)
    with grpc.insecure_channel(router.target) as channel:
        load = SteadyLoad(pb_grpc.RouterServiceStub(channel), SOAK_RATE)
        load.run_for(warmup_s)
        warm = {
            "router_rss": router.rss_kib(),
            "telemetry_rss": telemetry.rss_kib(),
            "router_fds": router.fd_count(),
        }
        load.run_for(max(1.0, SOAK_SECONDS - warmup_s))
        trace_ids, errors = load.results()
        end = {
            "router_rss": router.rss_kib(),
            "telemetry_rss": telemetry.rss_kib(),
            "router_fds": router.fd_count(),
        }
    router.signal(signal.SIGTERM)  # drain flushes the last spans
    assert router.wait(30.0) == 0

    with grpc.insecure_channel(telemetry.target) as channel:
        final_count, distinct = query_rows(
            channel, "SELECT count(), uniqExact(trace_id) FROM seat_selections FINAL"
        )[0]
        raw_count = query_rows(channel, "SELECT count() FROM seat_selections")[0][0]
        stored = {
            row[0]
            for row in query_rows(
                channel, "SELECT trace_id FROM seat_selections FINAL", max_rows=1_000_000
            )
        }
    figures = Figures(
        seconds=SOAK_SECONDS,
        rate_per_s=SOAK_RATE,
        requests=len(trace_ids) + len(errors),
        streams=sum(1 for i in range(len(trace_ids) + len(errors)) if i % 4 == 3),
        errors=len(errors),
        rows_expected=len(trace_ids),
        rows_found_final=final_count,
        rows_found_raw=raw_count,
        distinct_trace_ids=distinct,
        router_rss_kib_after_warmup=warm["router_rss"],
        router_rss_kib_end=end["router_rss"],
        telemetry_rss_kib_after_warmup=warm["telemetry_rss"],
        telemetry_rss_kib_end=end["telemetry_rss"],
        router_fds_after_warmup=warm["router_fds"],
        router_fds_end=end["router_fds"],
    )
    record_figures("soak", **asdict(figures))

    assert errors == [], errors[:3]
    assert final_count == distinct == len(trace_ids), figures
    assert stored == set(trace_ids)
    assert end["router_rss"] <= warm["router_rss"] * (1 + MAX_RSS_GROWTH), figures
    assert end["telemetry_rss"] <= warm["telemetry_rss"] * (1 + MAX_RSS_GROWTH), figures
    assert end["router_fds"] <= warm["router_fds"] + 8, figures
