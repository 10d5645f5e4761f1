"""The telemetry process killed (SIGKILL) in the middle of a sustained ingest, then restarted
on the same data dir: every acknowledged export is stored, and after the sender's retries
every span is stored exactly once under FINAL. Also: SIGTERM drains and exits."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time
from pathlib import Path

import grpc
import pytest
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2_grpc

from tests.reliability.reliability_procs import ProcessGroup, ServiceProcess, record_figures
from tests.reliability.reliability_rpc import export_request, query_rows, selection_span, span_id_of

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

EXPORTS = 120
SPANS_PER_EXPORT = 10
SENDERS = 6
# Kill once this many exports were acknowledged (about a third of the ingest).
KILL_AFTER_ACKS = 40
# Seconds the telemetry service gives in-flight exports when draining (server.DRAIN_GRACE_S).
DRAIN_GRACE_S = 10.0
# What an OTLP sender retries (the OTLP spec's retryable codes that a dying server gives).
RETRYABLE = frozenset(
    {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.CANCELLED}
)


def _indexes(export: int) -> range:
    return range(export * SPANS_PER_EXPORT, (export + 1) * SPANS_PER_EXPORT)


def _request(export: int, base_ns: int) -> object:
    # The same bytes on every send, as a real sender's retry: span i starts at base + i ms.
    return export_request(
        selection_span(i, start_ns=base_ns + i * 1_000_000) for i in _indexes(export)
    )


async def _ingest_until_killed(
    proc: ServiceProcess, base_ns: int, signum: int = signal.SIGKILL
) -> tuple[set[int], set[int]]:
    """Send every export from SENDERS tasks; signal (by default SIGKILL) the service mid-way.

    Returns (acknowledged exports, exports not acknowledged).
    """
    acked: set[int] = set()
    unacked: set[int] = set()
    queue: asyncio.Queue[int] = asyncio.Queue()
    for export in range(EXPORTS):
        queue.put_nowait(export)
    async with grpc.aio.insecure_channel(proc.target) as channel:
        stub = trace_service_pb2_grpc.TraceServiceStub(channel)

        async def sender() -> None:
            while not queue.empty():
                export = queue.get_nowait()
                try:
                    await stub.Export(_request(export, base_ns), timeout=10.0)
                except grpc.aio.AioRpcError as error:
                    assert error.code() in RETRYABLE, error
                    unacked.add(export)
                else:
                    acked.add(export)
                    if len(acked) == KILL_AFTER_ACKS:
                        proc.signal(signum)

        await asyncio.gather(*(sender() for _ in range(SENDERS)))
    return acked, unacked


async def _send_with_retries(proc: ServiceProcess, exports: list[int], base_ns: int) -> None:
    """The sender's retry: UNAVAILABLE is retried after a short pause, SENDERS at a time."""
    async with grpc.aio.insecure_channel(proc.target) as channel:
        stub = trace_service_pb2_grpc.TraceServiceStub(channel)

        async def send(export: int) -> None:
            for _ in range(50):
                try:
                    await stub.Export(_request(export, base_ns), timeout=10.0)
                    return
                except grpc.aio.AioRpcError as error:
                    assert error.code() in RETRYABLE, error
                    await asyncio.sleep(0.2)
            raise AssertionError(f"export {export} was never acknowledged")

        for start in range(0, len(exports), SENDERS):
            await asyncio.gather(*(send(e) for e in exports[start : start + SENDERS]))


def _stored_span_ids(proc: ServiceProcess) -> set[str]:
    with grpc.insecure_channel(proc.target) as channel:
        rows = query_rows(channel, "SELECT DISTINCT span_id FROM seat_selections", max_rows=100_000)
    return {row[0] for row in rows}


def _span_hex(export: int) -> set[str]:
    return {span_id_of(i).hex() for i in _indexes(export)}


async def test_sigkill_mid_ingest_loses_no_acknowledged_export_and_retries_store_once(
    group: ProcessGroup, tmp_path: Path
) -> None:
    data_dir = tmp_path / "telemetry-data"
    base_ns = time.time_ns() - 3600 * 10**9
    first = group.telemetry(data_dir)
    acked, unacked = await _ingest_until_killed(first, base_ns)
    first.wait(10.0)
    assert not first.alive and first.popen.returncode == -signal.SIGKILL
    assert len(acked) >= KILL_AFTER_ACKS and unacked, (len(acked), len(unacked))

    second = group.telemetry(data_dir)
    stored_after_crash = _stored_span_ids(second)
    acked_spans = set().union(*(_span_hex(e) for e in acked))
    missing = acked_spans - stored_after_crash
    assert not missing, f"{len(missing)} acknowledged spans lost by the crash"

    # Resend everything not acknowledged, and some acknowledged exports (idempotence).
    resend = sorted(unacked | set(range(EXPORTS)) - acked) + sorted(acked)[:10]
    await _send_with_retries(second, resend, base_ns)

    total = EXPORTS * SPANS_PER_EXPORT
    with grpc.insecure_channel(second.target) as channel:
        final_count, distinct = query_rows(
            channel, "SELECT count(), uniqExact(span_id) FROM seat_selections FINAL"
        )[0]
        raw_distinct = query_rows(channel, "SELECT uniqExact(SpanId) FROM otel_traces")[0][0]
    record_figures(
        "telemetry-sigkill",
        exports=EXPORTS,
        spans=total,
        acknowledged_before_kill=len(acked),
        not_acknowledged=len(unacked),
        resent=len(resend),
        rows_expected=total,
        rows_found_final=final_count,
        distinct_span_ids=distinct,
    )
    assert final_count == distinct == total
    # otel_traces is a plain MergeTree (no FINAL): retries may repeat raw spans, never lose one.
    assert raw_distinct == total


async def test_sigterm_mid_ingest_drains_acknowledged_exports_and_exits(
    group: ProcessGroup, tmp_path: Path
) -> None:
    data_dir = tmp_path / "telemetry-data"
    base_ns = time.time_ns() - 3600 * 10**9
    first = group.telemetry(data_dir)
    acked, _ = await _ingest_until_killed(first, base_ns, signal.SIGTERM)
    code = first.wait(DRAIN_GRACE_S + 5.0)

    second = group.telemetry(data_dir)
    stored = _stored_span_ids(second)
    acked_spans = set().union(*(_span_hex(e) for e in acked))
    assert code == 0
    assert len(acked) >= KILL_AFTER_ACKS
    assert acked_spans <= stored


def test_sigterm_on_an_idle_telemetry_service_exits_promptly(group: ProcessGroup) -> None:
    proc = group.telemetry(group.workdir / "idle-data")
    started = time.monotonic()
    proc.signal(signal.SIGTERM)
    try:
        code = proc.wait(6.0)
    except subprocess.TimeoutExpired:
        pytest.fail(
            f"telemetry-service still running {time.monotonic() - started:.1f} s after SIGTERM"
        )
    assert code == 0
