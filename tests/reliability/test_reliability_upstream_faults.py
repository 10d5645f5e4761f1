"""Upstream faults against a real router process and a real simulator process.

Every fault of the simulator's HTTP control API, table-driven: the gRPC code and ErrorInfo
reason of router_service/ERRORS.md, the number of upstream attempts the simulator recorded,
an answer within the caller's deadline, and a router whose open file descriptors and
threads do not grow over many faulted calls.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest
from llmcouncil.router.v1 import router_service_pb2 as pb
from llmcouncil.router.v1 import router_service_pb2_grpc as pb_grpc

from tests.reliability.reliability_procs import (
    ProcessGroup,
    ServiceProcess,
    SimControl,
    free_port,
    record_figures,
    wait_until,
)
from tests.reliability.reliability_rpc import ErrorDetails, error_details, seat_request

pytestmark = pytest.mark.e2e

# Seconds: the caller's deadline for one call, and the slack allowed past it for the
# answer to travel back (two processes on a shared 2-core machine).
DEADLINE_S = 8.0
SLACK_S = 1.5
MAX_ATTEMPTS = 3
# The balanced tier's upstream time budget in the router under test (seconds); shorter than
# DEADLINE_S so that the router's own deadline, with its ErrorInfo, is what ends slow calls.
TIER_TIMEOUT_S = 2.0
TIERS_YAML = Path(__file__).resolve().parents[2] / "router_service" / "data" / "tiers.yaml"


@dataclass(frozen=True)
class Stack:
    sim: ServiceProcess
    control: SimControl
    router: ServiceProcess
    stub: pb_grpc.RouterServiceStub


@pytest.fixture(scope="module")
def stack(module_group: ProcessGroup) -> Iterator[Stack]:
    sim = module_group.sim()
    control = SimControl(sim)
    config_dir = module_group.workdir / "router-config"
    config_dir.mkdir()
    tiers = TIERS_YAML.read_text()
    assert "    timeout_s: 60" in tiers  # the balanced tier
    (config_dir / "tiers.yaml").write_text(
        tiers.replace("    timeout_s: 60", f"    timeout_s: {TIER_TIMEOUT_S}", 1)
    )
    router = module_group.router(control.base_url, env={"ROUTER_CONFIG_DIR": str(config_dir)})
    with grpc.insecure_channel(router.target) as channel:
        yield Stack(sim, control, router, pb_grpc.RouterServiceStub(channel))
    control.close()


@pytest.fixture
def clean(stack: Stack) -> Stack:
    stack.control.reset()
    return stack


@dataclass(frozen=True)
class Outcome:
    code: grpc.StatusCode
    details: ErrorDetails | None
    elapsed_s: float
    deltas: int = 0
    response: pb.RouteSeatResponse | None = None


def call(stack: Stack, *, stream: bool, deadline_s: float = DEADLINE_S) -> Outcome:
    started = time.monotonic()
    deltas = 0
    try:
        if stream:
            summary = None
            for event in stack.stub.StreamSeat(
                pb.StreamSeatRequest(seat=seat_request()), timeout=deadline_s
            ):
                if event.HasField("delta"):
                    deltas += 1
                elif event.HasField("summary"):
                    summary = event.summary
            return Outcome(grpc.StatusCode.OK, None, time.monotonic() - started, deltas, summary)
        response = stack.stub.RouteSeat(seat_request(), timeout=deadline_s)
        return Outcome(grpc.StatusCode.OK, None, time.monotonic() - started, 0, response)
    except grpc.RpcError as error:
        details = error_details(error)
        return Outcome(details.code, details, time.monotonic() - started, deltas)


@dataclass(frozen=True)
class FaultCase:
    fault: dict[str, Any]
    code: grpc.StatusCode
    reason: str
    attempts: int
    stream: bool = False
    deadline_s: float = DEADLINE_S
    # The call must end within this many seconds (plus SLACK_S); default: deadline_s.
    within_s: float | None = None


def http(status: int, **more: Any) -> dict[str, Any]:
    return {"kind": "http_error", "status": status, "count": -1, **more}


C = grpc.StatusCode
UNAVAILABLE = C.UNAVAILABLE
N = MAX_ATTEMPTS


def case(case_id: str, fault: dict[str, Any], code: grpc.StatusCode, reason: str, attempts: int,
         **more: Any) -> Any:  # fmt: skip
    return pytest.param(FaultCase(fault, code, reason, attempts, **more), id=case_id)


def wire(kind: str, **more: Any) -> dict[str, Any]:
    return {"kind": kind, "count": -1, **more}


CASES = [
    case("http-400", http(400), C.INVALID_ARGUMENT, "UPSTREAM_BAD_REQUEST", 1),
    case("http-401", http(401), C.UNAUTHENTICATED, "UPSTREAM_UNAUTHENTICATED", 1),
    case("http-402", http(402), C.FAILED_PRECONDITION, "UPSTREAM_INSUFFICIENT_CREDITS", 1),
    case("http-403", http(403), C.PERMISSION_DENIED, "UPSTREAM_MODERATION", 1),
    case("http-404", http(404), C.NOT_FOUND, "UPSTREAM_NO_ENDPOINTS", 1),
    case("http-408", http(408), C.DEADLINE_EXCEEDED, "UPSTREAM_TIMEOUT", N),
    case("http-429", http(429), C.RESOURCE_EXHAUSTED, "UPSTREAM_RATE_LIMITED", N),
    case("http-500", http(500), UNAVAILABLE, "UPSTREAM_SERVER_ERROR", 1),
    case("http-502", http(502), UNAVAILABLE, "UPSTREAM_BAD_GATEWAY", N),
    case("http-503", http(503), UNAVAILABLE, "UPSTREAM_UNAVAILABLE", N),
    case("retry-after-beyond-deadline", http(429, retry_after_s=30), C.RESOURCE_EXHAUSTED,
         "UPSTREAM_RATE_LIMITED", 1, deadline_s=3.0),
    case("reset", wire("reset"), UNAVAILABLE, "UPSTREAM_CONNECTION_FAILED", N),
    case("reset-mid-body", wire("reset_mid_body"), UNAVAILABLE, "UPSTREAM_CONNECTION_FAILED", N),
    case("slow-headers", wire("slow_headers", delay_s=30), C.DEADLINE_EXCEEDED,
         "DEADLINE_EXCEEDED", 1, within_s=TIER_TIMEOUT_S),
    case("slow-body", wire("slow_body", delay_s=30), C.DEADLINE_EXCEEDED, "DEADLINE_EXCEEDED", 1,
         within_s=TIER_TIMEOUT_S),
    case("truncated-json", wire("truncated_json"), UNAVAILABLE, "UPSTREAM_BAD_RESPONSE", 1),
    case("non-json-200", wire("non_json"), UNAVAILABLE, "UPSTREAM_BAD_RESPONSE", 1),
    case("sse-cut-before-done", wire("sse_cut"), UNAVAILABLE, "UPSTREAM_STREAM_ERROR", 1,
         stream=True),
    case("mid-stream-error-chunk", wire("stream_error"), UNAVAILABLE, "UPSTREAM_STREAM_ERROR", 1,
         stream=True),
    case("stream-429-before-first-delta", http(429), C.RESOURCE_EXHAUSTED,
         "UPSTREAM_RATE_LIMITED", N, stream=True),
    case("stream-reset-before-first-delta", wire("reset"), UNAVAILABLE,
         "UPSTREAM_CONNECTION_FAILED", N, stream=True),
    case("stream-slow-body", wire("slow_body", delay_s=30), C.DEADLINE_EXCEEDED,
         "DEADLINE_EXCEEDED", 1, stream=True, within_s=TIER_TIMEOUT_S),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES)
def test_upstream_fault_gives_documented_code_attempts_and_deadline(
    clean: Stack, case: FaultCase
) -> None:
    clean.control.inject(**case.fault)
    outcome = call(clean, stream=case.stream, deadline_s=case.deadline_s)

    assert outcome.code == case.code, outcome.details
    assert outcome.details is not None and outcome.details.error_info is not None
    assert outcome.details.error_info.domain == "router.llmcouncil.io"
    assert outcome.details.reason == case.reason
    assert len(clean.control.chat_requests()) == case.attempts
    if case.reason.startswith("UPSTREAM_") and case.reason != "UPSTREAM_STREAM_ERROR":
        assert outcome.details.metadata.get("attempts") == str(case.attempts)
    assert outcome.elapsed_s < (case.within_s or case.deadline_s) + SLACK_S
    if case.stream and case.reason == "UPSTREAM_STREAM_ERROR":
        assert outcome.deltas >= 1  # the error came after the deltas already relayed


def test_retry_after_is_waited_then_the_call_succeeds(clean: Stack) -> None:
    clean.control.inject(kind="http_error", status=429, retry_after_s=1, count=1)
    outcome = call(clean, stream=False)

    assert outcome.code == grpc.StatusCode.OK
    assert outcome.response is not None and outcome.response.attempts == 2
    first, second = clean.control.chat_requests()
    assert float(second["time"]) - float(first["time"]) >= 0.95  # type: ignore[arg-type]


def test_retry_after_beyond_the_deadline_is_passed_on_as_retry_info(clean: Stack) -> None:
    clean.control.inject(kind="http_error", status=503, retry_after_s=30, count=-1)
    outcome = call(clean, stream=False, deadline_s=3.0)

    assert outcome.details is not None
    assert outcome.details.retry_delay_s == pytest.approx(30.0)


@pytest.mark.parametrize(
    "stream", [pytest.param(False, id="route"), pytest.param(True, id="stream")]
)
def test_caller_deadline_shorter_than_the_tier_budget_ends_the_call(
    clean: Stack, stream: bool
) -> None:
    clean.control.inject(kind="slow_headers", delay_s=30, count=-1)
    outcome = call(clean, stream=stream, deadline_s=1.0)

    assert outcome.code == grpc.StatusCode.DEADLINE_EXCEEDED
    assert outcome.elapsed_s < 1.0 + SLACK_S
    assert len(clean.control.chat_requests()) == 1


def test_slow_headers_within_the_deadline_still_succeed(clean: Stack) -> None:
    clean.control.inject(kind="slow_headers", delay_s=0.5, count=1)
    outcome = call(clean, stream=False)
    assert outcome.code == grpc.StatusCode.OK
    assert outcome.response is not None and outcome.response.attempts == 1


def test_connection_refused_is_unavailable_after_max_attempts(group: ProcessGroup) -> None:
    router = group.router(f"http://127.0.0.1:{free_port()}/api/v1")
    with grpc.insecure_channel(router.target) as channel:
        stub = pb_grpc.RouterServiceStub(channel)
        started = time.monotonic()
        with pytest.raises(grpc.RpcError) as caught:
            stub.RouteSeat(seat_request(), timeout=DEADLINE_S)
    details = error_details(caught.value)
    assert details.code == UNAVAILABLE
    assert details.reason == "UPSTREAM_CONNECTION_FAILED"
    assert details.metadata["attempts"] == str(MAX_ATTEMPTS)
    assert time.monotonic() - started < DEADLINE_S + SLACK_S


# One round of every fault kind (and a success) for the leak check below.
LEAK_ROUND: list[tuple[dict[str, Any] | None, bool, float]] = [
    ({"kind": "reset"}, False, DEADLINE_S),
    ({"kind": "reset_mid_body"}, False, DEADLINE_S),
    ({"kind": "slow_headers", "delay_s": 5}, False, 0.3),
    ({"kind": "slow_body", "delay_s": 5}, False, 0.3),
    ({"kind": "truncated_json"}, False, DEADLINE_S),
    ({"kind": "non_json"}, False, DEADLINE_S),
    ({"kind": "http_error", "status": 500}, False, DEADLINE_S),
    ({"kind": "sse_cut"}, True, DEADLINE_S),
    ({"kind": "stream_error"}, True, DEADLINE_S),
    ({"kind": "slow_body", "delay_s": 5}, True, 0.3),
    (None, False, DEADLINE_S),
    (None, True, DEADLINE_S),
]


def _round(stack: Stack) -> None:
    for fault, stream, deadline_s in LEAK_ROUND:
        stack.control.clear_faults()
        if fault is not None:
            stack.control.inject(**fault, count=1)
        outcome = call(stack, stream=stream, deadline_s=deadline_s)
        assert outcome.code != grpc.StatusCode.UNKNOWN, outcome.details


@pytest.mark.slow
def test_many_faulted_calls_leak_no_connection_or_thread(clean: Stack) -> None:
    router = clean.router
    _round(clean)  # warm-up: pools, lazily started threads
    # Connections dropped by a timed-out call close once the simulator finishes its reply.
    time.sleep(1.0)
    baseline_fds, baseline_threads = router.fd_count(), router.thread_count()
    rounds = 4
    for _ in range(rounds):
        _round(clean)
    settled = wait_until(lambda: router.fd_count() <= baseline_fds + 4, timeout_s=10.0)

    record_figures(
        "upstream-fault-leak",
        faulted_calls=(rounds + 1) * sum(1 for fault, _, _ in LEAK_ROUND if fault),
        calls=(rounds + 1) * len(LEAK_ROUND),
        fds_baseline=baseline_fds,
        fds_end=router.fd_count(),
        threads_baseline=baseline_threads,
        threads_end=router.thread_count(),
    )
    assert router.alive
    assert settled, f"router fds grew from {baseline_fds} to {router.fd_count()}"
    assert router.thread_count() <= baseline_threads + 2
    assert call(clean, stream=False).code == grpc.StatusCode.OK
