"""router-service -> OTLP -> telemetry-service -> embedded ClickHouse, all real processes."""

from __future__ import annotations

import json
import subprocess
import time

import grpc
import pytest
from llmcouncil.router.v1 import router_service_pb2 as rpb
from llmcouncil.router.v1 import router_service_pb2_grpc as rpb_grpc

from tests.e2e.conftest import (
    BIN,
    ServiceProcess,
    Sim,
    StartRouter,
    query,
    wait_for_count,
)

pytestmark = pytest.mark.e2e

POOL = ["openai/gpt-5", "anthropic/claude-sonnet-4.5"]


def seat_request(seat: str = "seat-pareto", session: str = "sess-e2e") -> rpb.RouteSeatRequest:
    return rpb.RouteSeatRequest(
        model="openrouter/pareto-code",
        tier=rpb.TIER_BALANCED,
        messages=[rpb.ChatMessage(role="user", content="Write a haiku about merge sort.")],
        session_id=session,
        seat_id=seat,
        pool_models=POOL,
    )


def route(router: ServiceProcess, request: rpb.RouteSeatRequest) -> rpb.RouteSeatResponse:
    with grpc.insecure_channel(router.address) as channel:
        return rpb_grpc.RouterServiceStub(channel).RouteSeat(request, timeout=30)


def stream(router: ServiceProcess, request: rpb.RouteSeatRequest) -> list[object]:
    with grpc.insecure_channel(router.address) as channel:
        stub = rpb_grpc.RouterServiceStub(channel)
        return list(stub.StreamSeat(rpb.StreamSeatRequest(seat=request), timeout=30))


def selection_rows(telemetry: ServiceProcess, where: str = "1") -> list[dict[str, object]]:
    return query(
        telemetry, f"SELECT * EXCEPT inserted_at FROM seat_selections FINAL WHERE {where}"
    ).dicts()


def test_every_selection_column_matches_the_simulator_answer(
    router: ServiceProcess, telemetry: ServiceProcess, sim: Sim
) -> None:
    before = time.time()
    answer = route(router, seat_request())
    after = time.time()
    assert wait_for_count(telemetry, "SELECT count() FROM seat_selections", 1) == 1

    (row,) = selection_rows(telemetry)
    (sent,) = [r for r in sim.requests() if r["path"].endswith("/chat/completions")]
    plugin = sent["body"]["plugins"][0]
    event_time = row.pop("event_time")
    latency_ms = row.pop("latency_ms")
    span_id = row.pop("span_id")

    assert before - 1 <= _epoch(str(event_time)) <= after
    assert 0 < float(str(latency_ms)) <= (after - before) * 1000 + 1
    assert len(str(span_id)) == 16
    assert plugin["id"] == "pareto-router" and plugin["min_coding_score"] == 0.5
    assert row == {
        "trace_id": answer.trace_id,
        "service_name": "router-service",
        "session_id": "sess-e2e",
        "seat_id": "seat-pareto",
        "tier": "balanced",
        "requested_model": "openrouter/pareto-code",
        "resolved_model": answer.resolved_model,
        "provider": answer.provider,
        "generation_id": answer.generation_id,
        "pareto_applied": True,
        "min_coding_score": plugin["min_coding_score"],
        "pareto_band": "medium",
        "nitro": False,
        "pool_models": POOL,
        "duplicate_of_pool": answer.duplicate_of_pool,
        "status": "ok",
        "error_type": "",
        "attempts": answer.attempts,
        "ttft_ms": None,
        "streaming": False,
        "finish_reason": answer.finish_reason,
        "input_tokens": answer.usage.input_tokens,
        "output_tokens": answer.usage.output_tokens,
        "reasoning_tokens": answer.usage.reasoning_tokens,
        "cached_tokens": answer.usage.cached_tokens,
        "cost_usd": answer.usage.cost_usd,
        "routing_strategy": answer.routing.strategy,
        "routing_attempt": answer.routing.attempt,
    }
    assert answer.resolved_model and answer.resolved_model != "openrouter/pareto-code"
    assert answer.generation_id.startswith("gen-")


def _epoch(iso: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(iso).timestamp()


def test_stream_seat_records_streaming_and_time_to_first_token(
    router: ServiceProcess, telemetry: ServiceProcess
) -> None:
    stream(router, seat_request(seat="seat-stream"))
    wait_for_count(telemetry, "SELECT count() FROM seat_selections", 1)

    (row,) = selection_rows(telemetry, "seat_id = 'seat-stream'")
    assert row["streaming"] is True
    assert row["ttft_ms"] is not None and float(str(row["ttft_ms"])) >= 0


def test_upstream_error_is_recorded_as_an_error_selection(
    router: ServiceProcess, telemetry: ServiceProcess, sim: Sim
) -> None:
    sim.inject(kind="http_error", status=404, count=1, message="No endpoints found")
    with pytest.raises(grpc.RpcError):
        route(router, seat_request(seat="seat-fail"))
    wait_for_count(telemetry, "SELECT count() FROM seat_selections", 1)

    (row,) = selection_rows(telemetry, "seat_id = 'seat-fail'")
    assert (row["status"], row["resolved_model"]) == ("error", "")
    assert row["error_type"] != ""


def test_query_cli_shows_the_selections(router: ServiceProcess, telemetry: ServiceProcess) -> None:
    answers = [route(router, seat_request(seat=f"seat-{i}")) for i in range(3)]
    wait_for_count(telemetry, "SELECT count() FROM seat_selections", 3)

    done = subprocess.run(
        [
            str(BIN / "telemetry-service"),
            "query",
            "--addr",
            telemetry.address,
            "SELECT tier, resolved_model, count() FROM seat_selections GROUP BY ALL",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["tier", "resolved_model", "count()"]
    shown = {(line.split()[0], line.split()[1]): int(line.split()[2]) for line in lines[2:]}
    expected: dict[tuple[str, str], int] = {}
    for answer in answers:
        key = ("balanced", answer.resolved_model)
        expected[key] = expected.get(key, 0) + 1
    assert shown == expected


def test_query_cli_refuses_writes(telemetry: ServiceProcess) -> None:
    done = subprocess.run(
        [
            str(BIN / "telemetry-service"),
            "query",
            "--addr",
            telemetry.address,
            "TRUNCATE TABLE seat_selections",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert "PERMISSION_DENIED" in done.stderr


def test_no_api_key_in_any_table(
    router: ServiceProcess, telemetry: ServiceProcess, sim: Sim
) -> None:
    route(router, seat_request())
    stream(router, seat_request(seat="seat-stream"))
    wait_for_count(telemetry, "SELECT count() FROM seat_selections", 2)
    # The key did reach the simulator, so its absence below means something.
    assert any(sim.api_key in json.dumps(r["headers"]) for r in sim.requests())

    tables = query(
        telemetry, "SELECT name FROM system.tables WHERE database = currentDatabase()"
    ).rows
    assert len(tables) >= 5
    for (table,) in tables:
        dump = query(telemetry, f"SELECT * FROM `{table}`", max_rows=100_000).rows
        assert sim.api_key not in json.dumps(dump, default=str), table


def test_router_keeps_serving_with_telemetry_down_and_counts_undelivered_spans(
    start_router: StartRouter, telemetry: ServiceProcess
) -> None:
    telemetry.stop()
    router = start_router(telemetry.port, name="router-orphan", OTEL_EXPORTER_OTLP_TIMEOUT="1")
    answers = [route(router, seat_request(seat=f"seat-{i}")) for i in range(3)]

    assert all(a.resolved_model for a in answers)
    deadline = time.monotonic() + 20
    while "telemetry spans not delivered" not in router.log() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert "telemetry spans not delivered" in router.log()
