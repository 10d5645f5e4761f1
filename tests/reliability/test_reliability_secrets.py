"""The OpenRouter API key never shows: not in logs, spans, ClickHouse rows, error messages and
details, or process listings, after a full run through every success and error path.

The router runs at DEBUG log level, with a distinctive key read from a file, against a
simulator that requires that key and is told to echo it back in error answers.
"""

from __future__ import annotations

import signal
from collections.abc import Callable
from functools import partial

import grpc
import pytest
from llmcouncil.router.v1 import router_service_pb2 as pb
from llmcouncil.router.v1 import router_service_pb2_grpc as pb_grpc

from tests.reliability.reliability_procs import API_KEY, ProcessGroup, SimControl, record_figures
from tests.reliability.reliability_rpc import error_details, query_rows, seat_request

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

# Pieces that must not appear either: a key cut short is still a leak.
KEY_PIECES = (API_KEY, API_KEY[-16:], "reliability-canary")
ECHO = f"Invalid credentials: {API_KEY}"
ECHO_META = {"key": API_KEY}
MODERATION_META = {"reasons": [API_KEY], "flagged_input": API_KEY, "provider_name": API_KEY}

# (fault injected before the call, streaming?, caller deadline in seconds)
CALLS: list[tuple[dict[str, object] | None, bool, float]] = [
    (None, False, 15.0),
    (None, True, 15.0),
    ({"kind": "http_error", "status": 400, "message": ECHO}, False, 15.0),
    ({"kind": "http_error", "status": 401, "message": ECHO, "metadata": ECHO_META}, False, 15.0),
    ({"kind": "http_error", "status": 402}, False, 15.0),
    ({"kind": "http_error", "status": 403, "metadata": MODERATION_META}, False, 15.0),
    ({"kind": "http_error", "status": 404, "message": "x" * 490 + API_KEY}, False, 15.0),
    ({"kind": "http_error", "status": 408, "count": 3}, False, 15.0),
    ({"kind": "http_error", "status": 429, "retry_after_s": 30}, False, 3.0),
    ({"kind": "http_error", "status": 500, "message": ECHO}, False, 15.0),
    ({"kind": "http_error", "status": 502, "count": 3, "message": ECHO}, False, 15.0),
    ({"kind": "http_error", "status": 503, "count": 3}, True, 15.0),
    ({"kind": "reset", "count": 3}, False, 15.0),
    ({"kind": "reset_mid_body", "count": 3}, False, 15.0),
    ({"kind": "truncated_json"}, False, 15.0),
    ({"kind": "non_json"}, False, 15.0),
    ({"kind": "slow_headers", "delay_s": 5}, False, 1.0),
    ({"kind": "sse_cut"}, True, 15.0),
    ({"kind": "stream_error", "message": ECHO}, True, 15.0),
]  # fmt: skip


def _leaks(text: str) -> list[str]:
    return [piece for piece in KEY_PIECES if piece in text]


def _drive(stub: pb_grpc.RouterServiceStub, control: SimControl) -> tuple[int, list[str]]:
    """Every call in CALLS plus an invalid request and a review; returns (calls, errors seen)."""
    errors: list[str] = []
    calls = 0

    def attempt(call: Callable[[], object]) -> None:
        nonlocal calls
        calls += 1
        try:
            call()
        except grpc.RpcError as error:
            details = error_details(error)
            errors.append(
                f"{details.code} {details.message} {details.metadata} {details.raw_trailers!r}"
            )
            errors.append(str(error))

    for fault, stream, deadline_s in CALLS:
        control.clear_faults()
        if fault is not None:
            control.inject(**fault)
        if stream:
            request = pb.StreamSeatRequest(seat=seat_request())
            attempt(partial(lambda r, d: list(stub.StreamSeat(r, timeout=d)), request, deadline_s))
        else:
            attempt(partial(stub.RouteSeat, seat_request(session_id="secrets"), timeout=deadline_s))
    control.clear_faults()
    attempt(lambda: stub.RouteSeat(seat_request(messages=[]), timeout=15.0))
    attempt(
        lambda: stub.RecordSeatReview(
            pb.RecordSeatReviewRequest(session_id="secrets", seat_id="s1", reviewer="r", score=7),
            timeout=15.0,
        )
    )
    return calls, errors


def test_api_key_appears_in_no_log_row_error_or_process_listing(group: ProcessGroup) -> None:
    sim = group.sim()
    control = SimControl(sim)
    telemetry = group.telemetry(group.workdir / "secrets-data")
    router = group.router(
        control.base_url,
        telemetry=f"http://{telemetry.target}",
        env={"ROUTER_LOG_LEVEL": "debug", "OTEL_BSP_SCHEDULE_DELAY": "100"},
    )
    try:
        listings = [proc.cmdline() for proc in (router, telemetry)] + [router.environ()]
        with grpc.insecure_channel(router.target) as channel:
            calls, errors = _drive(pb_grpc.RouterServiceStub(channel), control)
        # Draining flushes the router's spans to the telemetry service.
        router.signal(signal.SIGTERM)
        assert router.wait(20.0) == 0
    finally:
        control.close()

    with grpc.insecure_channel(telemetry.target) as channel:
        tables = [row[0] for row in query_rows(channel, "SHOW TABLES", max_rows=1000)]
        dumps = {
            table: query_rows(channel, f"SELECT * FROM `{table}`", max_rows=100_000)
            for table in tables
        }
    selections = len(dumps["seat_selections"])
    router_log = router.log_text()

    record_figures(
        "api-key-grep",
        calls=calls,
        faults_injected=sum(1 for fault, _, _ in CALLS if fault),
        errors_checked=len(errors),
        tables_scanned=len(dumps),
        rows_scanned=sum(len(rows) for rows in dumps.values()),
        router_log_lines=len(router_log.splitlines()),
    )
    assert selections >= len(CALLS)  # the spans did arrive: the grep below means something
    assert "DEBUG" in router_log  # the most talkative level was on
    assert len(errors) >= 2 * (len(CALLS) - 2)
    assert _leaks(router_log) == []
    assert _leaks(telemetry.log_text()) == []
    assert [e for e in errors if _leaks(e)] == []
    assert any("[REDACTED]" in e for e in errors)  # the echoed key did reach the router
    assert [text for text in listings if _leaks(text)] == []
    leaking_tables = {
        t: n for t, rows in dumps.items() if (n := len([r for r in rows if _leaks(repr(r))]))
    }
    assert leaking_tables == {}
    assert calls == len(CALLS) + 2
