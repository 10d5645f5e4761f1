"""Resource bounds of real processes: maximum message size, maximum concurrent calls and
streams, and the caps on per-call limits of the query service."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from llmcouncil.router.v1 import router_service_pb2 as pb
from llmcouncil.router.v1 import router_service_pb2_grpc as pb_grpc

from tests.reliability.reliability_procs import ProcessGroup, ServiceProcess, SimControl, wait_until
from tests.reliability.reliability_rpc import ErrorDetails, error_details, query_rows, seat_request

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

LIMIT = 2
CALLERS = 6


def _call(target: str, stream: bool) -> ErrorDetails | None:
    with grpc.insecure_channel(target) as channel:
        stub = pb_grpc.RouterServiceStub(channel)
        try:
            if stream:
                list(stub.StreamSeat(pb.StreamSeatRequest(seat=seat_request()), timeout=30.0))
            else:
                stub.RouteSeat(seat_request(), timeout=30.0)
        except grpc.RpcError as error:
            return error_details(error)
    return None


def test_calls_and_streams_beyond_the_concurrency_limit_are_refused_with_retry_info(
    group: ProcessGroup,
) -> None:
    sim = group.sim(latency_ms=2000)
    control = SimControl(sim)
    router = group.router(control.base_url, env={"ROUTER_MAX_CONCURRENCY": str(LIMIT)})
    with ThreadPoolExecutor(max_workers=CALLERS) as pool:
        holders = [pool.submit(_call, router.target, i % 2 == 1) for i in range(LIMIT)]
        assert wait_until(lambda: len(control.chat_requests()) >= LIMIT, timeout_s=10.0)
        extra = [pool.submit(_call, router.target, i % 2 == 1) for i in range(CALLERS - LIMIT)]
        refused = [f.result() for f in extra]
        with grpc.insecure_channel(router.target) as channel:
            health = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(), timeout=5.0
            )
        held = [f.result() for f in holders]
    control.close()

    assert held == [None] * LIMIT
    assert all(r is not None for r in refused)
    assert {(r.code, r.reason) for r in refused if r is not None} == {
        (grpc.StatusCode.RESOURCE_EXHAUSTED, "ROUTER_OVERLOADED")
    }
    assert all(r.retry_delay_s and r.retry_delay_s > 0 for r in refused if r is not None)
    assert health.status == health_pb2.HealthCheckResponse.SERVING  # probes bypass the limit


def test_request_over_the_max_message_size_is_resource_exhausted(group: ProcessGroup) -> None:
    sim = group.sim()
    control = SimControl(sim)
    router = group.router(control.base_url, env={"ROUTER_MAX_MESSAGE_BYTES": "65536"})
    big = seat_request(messages=[pb.ChatMessage(role="user", content="x" * 100_000)])
    with grpc.insecure_channel(router.target) as channel:
        stub = pb_grpc.RouterServiceStub(channel)
        with pytest.raises(grpc.RpcError) as caught:
            stub.RouteSeat(big, timeout=10.0)
        small = stub.RouteSeat(seat_request(), timeout=10.0)
    upstream_calls = len(control.chat_requests())
    control.close()

    assert error_details(caught.value).code == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert small.resolved_model
    assert upstream_calls == 1  # the oversized request never went upstream


@pytest.fixture(scope="module")
def telemetry(module_group: ProcessGroup) -> ServiceProcess:
    return module_group.telemetry(module_group.workdir / "bounds-data")


@pytest.mark.parametrize(
    ("sql", "max_rows", "timeout_s", "expected"),
    [
        pytest.param("getSetting('max_execution_time')", 0, 100_000, 300, id="timeout-capped-300s"),
        pytest.param("getSetting('max_execution_time')", 0, None, 30, id="timeout-default-30s"),
        pytest.param("getSetting('max_result_rows')", 5 * 10**7, None, 1_000_001, id="rows-capped"),
        pytest.param("getSetting('max_result_rows')", 0, None, 10_001, id="rows-default"),
    ],
)  # fmt: skip
def test_query_limits_are_capped_by_the_server(
    telemetry: ServiceProcess, sql: str, max_rows: int, timeout_s: int | None, expected: int
) -> None:
    with grpc.insecure_channel(telemetry.target) as channel:
        value = query_rows(channel, f"SELECT {sql}", max_rows=max_rows, timeout_s=timeout_s)
    assert value == [[expected]]


def test_concurrency_slots_come_back_after_failed_timed_out_and_cancelled_calls(
    group: ProcessGroup,
) -> None:
    sim = group.sim()
    control = SimControl(sim)
    router = group.router(control.base_url, env={"ROUTER_MAX_CONCURRENCY": str(LIMIT)})
    with grpc.insecure_channel(router.target) as channel:
        stub = pb_grpc.RouterServiceStub(channel)
        control.inject(kind="slow_headers", delay_s=5, count=6)
        for _ in range(6):  # the caller gives up while the router waits upstream
            with pytest.raises(grpc.RpcError):
                stub.RouteSeat(seat_request(), timeout=0.3)
        control.clear_faults()
        control.inject(kind="slow_body", delay_s=5, count=4)
        for _ in range(4):  # the caller cancels a stream after its first delta
            events = stub.StreamSeat(pb.StreamSeatRequest(seat=seat_request()), timeout=10.0)
            next(events)
            events.cancel()
        control.clear_faults()
        control.inject(kind="http_error", status=500, count=4)
        for _ in range(4):
            with pytest.raises(grpc.RpcError):
                stub.RouteSeat(seat_request(), timeout=10.0)
        control.clear_faults()
        time.sleep(1.0)  # the router notices the cancellations
        control.clear_requests()
        control.inject(kind="slow_headers", delay_s=1.5, count=LIMIT)
        with ThreadPoolExecutor(max_workers=LIMIT + 1) as pool:
            full = [pool.submit(_call, router.target, False) for _ in range(LIMIT)]
            both_upstream = wait_until(lambda: len(control.chat_requests()) >= LIMIT, 5.0)
            over = pool.submit(_call, router.target, False).result()
            served = [f.result() for f in full]
    control.close()

    assert served == [None] * LIMIT, served
    assert both_upstream
    assert over is not None and over.reason == "ROUTER_OVERLOADED"
