"""SIGTERM to a router process under load: in-flight calls finish, new calls are refused
cleanly, and the process exits within its drain period."""

from __future__ import annotations

import signal
import time
from concurrent.futures import Future, ThreadPoolExecutor

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from llmcouncil.router.v1 import router_service_pb2 as pb
from llmcouncil.router.v1 import router_service_pb2_grpc as pb_grpc

from tests.reliability.reliability_procs import ProcessGroup, ServiceProcess, SimControl, wait_until
from tests.reliability.reliability_rpc import seat_request

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

IN_FLIGHT = 8
# Seconds past the drain period that process exit may take (interpreter and engine teardown).
EXIT_MARGIN_S = 4.0


def _route(target: str, timeout_s: float) -> pb.RouteSeatResponse | grpc.StatusCode:
    with grpc.insecure_channel(target) as channel:
        try:
            return pb_grpc.RouterServiceStub(channel).RouteSeat(seat_request(), timeout=timeout_s)
        except grpc.RpcError as error:
            code: grpc.StatusCode = error.code()
            return code


def _not_serving(target: str) -> bool:
    with grpc.insecure_channel(target) as channel:
        try:
            status = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(), timeout=1.0
            )
        except grpc.RpcError:
            return True
    return bool(status.status != health_pb2.HealthCheckResponse.SERVING)


def _start_load(
    group: ProcessGroup, latency_ms: float, drain_s: float, workers: int = 1
) -> tuple[SimControl, ServiceProcess, ThreadPoolExecutor, list[Future[object]]]:
    sim = group.sim(latency_ms=latency_ms)
    control = SimControl(sim)
    router = group.router(
        control.base_url,
        env={"ROUTER_DRAIN_SECONDS": str(drain_s), "ROUTER_WORKERS": str(workers)},
    )
    pool = ThreadPoolExecutor(max_workers=IN_FLIGHT)
    calls: list[Future[object]] = [
        pool.submit(_route, router.target, 30.0) for _ in range(IN_FLIGHT)
    ]
    assert wait_until(lambda: len(control.chat_requests()) >= IN_FLIGHT, timeout_s=10.0)
    return control, router, pool, calls


@pytest.mark.parametrize(
    "workers", [pytest.param(1, id="one-process"), pytest.param(2, id="two-workers")]
)
def test_sigterm_lets_in_flight_calls_finish_and_refuses_new_ones(
    group: ProcessGroup, workers: int
) -> None:
    drain_s = 6.0
    control, router, pool, calls = _start_load(
        group, latency_ms=2000, drain_s=drain_s, workers=workers
    )
    try:
        signalled = time.monotonic()
        router.signal(signal.SIGTERM)
        assert wait_until(lambda: _not_serving(router.target), timeout_s=3.0)
        refused = _route(router.target, 5.0)
        code = router.wait(drain_s + EXIT_MARGIN_S)
        exited_after = time.monotonic() - signalled
        results = [call.result(timeout=30) for call in calls]
    finally:
        pool.shutdown(wait=True)
        control.close()

    assert refused == grpc.StatusCode.UNAVAILABLE
    assert all(isinstance(r, pb.RouteSeatResponse) and r.resolved_model for r in results), results
    assert code == 0
    assert exited_after < drain_s + EXIT_MARGIN_S


def test_calls_longer_than_the_drain_are_cut_and_the_process_still_exits(
    group: ProcessGroup,
) -> None:
    drain_s = 1.0
    control, router, pool, calls = _start_load(group, latency_ms=15_000, drain_s=drain_s)
    try:
        signalled = time.monotonic()
        router.signal(signal.SIGTERM)
        code = router.wait(drain_s + EXIT_MARGIN_S)
        exited_after = time.monotonic() - signalled
        results = [call.result(timeout=30) for call in calls]
    finally:
        pool.shutdown(wait=True)
        control.close()

    assert code == 0
    assert exited_after < drain_s + EXIT_MARGIN_S
    # Cut calls end with an error, never hang and never look like an answer.
    assert all(isinstance(r, grpc.StatusCode) and r != grpc.StatusCode.OK for r in results)
