"""Freshness: time from a RouteSeat return to its row being queryable in seat_selections.

One thread calls RouteSeat at a steady pace and records (trace_id, return time); another
polls ExecuteQuery for the trace ids not yet seen every POLL_S seconds and records when
each appears. The poll interval bounds the resolution (a row is seen up to POLL_S late).
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field

import grpc
from llmcouncil.router.v1 import router_service_pb2_grpc
from llmcouncil.telemetry.v1 import telemetry_service_pb2_grpc

from benchmarks import h2load, payloads, telemetry_client

POLL_S = 0.05
_HEX32 = re.compile(r"^[0-9a-f]{32}$")


@dataclass
class Freshness:
    calls: int = 0
    failed_calls: int = 0
    seen: int = 0
    lags_s: list[float] = field(default_factory=list)

    def summary(self) -> dict[str, object]:
        lags = sorted(self.lags_s)
        return {
            "calls": self.calls,
            "failed_calls": self.failed_calls,
            "rows_seen": self.seen,
            "p50_s": round(h2load.percentile(lags, 50), 3) if lags else None,
            "p99_s": round(h2load.percentile(lags, 99), 3) if lags else None,
            "max_s": round(lags[-1], 3) if lags else None,
            "poll_interval_s": POLL_S,
        }


def measure(router_port: int, telemetry_port: int, calls: int, interval_s: float) -> Freshness:
    result = Freshness(calls=calls)
    returned: dict[str, float] = {}
    lock = threading.Lock()
    done_calling = threading.Event()

    def poll() -> None:
        with grpc.insecure_channel(f"127.0.0.1:{telemetry_port}") as channel:
            stub = telemetry_service_pb2_grpc.TelemetryQueryServiceStub(channel)
            deadline: float | None = None
            while True:
                with lock:
                    pending = dict(returned)
                if pending:
                    ids = ",".join(f"'{t}'" for t in pending)
                    sql = f"SELECT trace_id FROM seat_selections WHERE trace_id IN ({ids})"
                    found = telemetry_client.query_column(stub, sql)
                    now = time.time()
                    with lock:
                        for trace_id in set(found):
                            sent = returned.pop(trace_id, None)
                            if sent is not None:
                                result.lags_s.append(now - sent)
                                result.seen += 1
                if done_calling.is_set():
                    # Rows still missing 30 s after the last call are counted as not seen.
                    deadline = deadline or time.monotonic() + 30
                    with lock:
                        empty = not returned
                    if empty or time.monotonic() > deadline:
                        return
                time.sleep(POLL_S)

    poller = threading.Thread(target=poll, name="freshness-poller")
    poller.start()
    request = payloads.route_seat_request()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{router_port}") as channel:
            stub = router_service_pb2_grpc.RouterServiceStub(channel)
            for _ in range(calls):
                try:
                    response = stub.RouteSeat(request, timeout=10)
                except grpc.RpcError:
                    result.failed_calls += 1
                    continue
                now = time.time()
                if _HEX32.match(response.trace_id):
                    with lock:
                        returned[response.trace_id] = now
                time.sleep(interval_s)
    finally:
        done_calling.set()
        poller.join()
    return result
