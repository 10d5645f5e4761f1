"""Talking to a running telemetry service: OTLP export of pre-serialized requests, SQL count."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import grpc
from llmcouncil.telemetry.v1 import telemetry_service_pb2, telemetry_service_pb2_grpc

EXPORT_METHOD = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
# The receiver answers these when its buffer is full or the store is down: retry later.
RETRYABLE = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.RESOURCE_EXHAUSTED)
RETRY_PAUSE_S = 0.05
MAX_ATTEMPTS = 200


@dataclass
class ExportRun:
    exports: int
    retries: int
    failed: int
    seconds: float
    first_error: str = ""


async def export_all(port: int, payloads: list[bytes], concurrency: int) -> ExportRun:
    """Send every payload (already serialized) with ``concurrency`` exports in flight.

    Bytes go over the wire as they are (no client-side serialization), so the sender's CPU
    stays small next to the service's.
    """
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for item in payloads:
        queue.put_nowait(item)
    run = ExportRun(exports=len(payloads), retries=0, failed=0, seconds=0.0)
    options = [("grpc.max_send_message_length", 64 * 1024 * 1024)]
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}", options=options) as channel:
        export = channel.unary_unary(EXPORT_METHOD)

        async def worker() -> None:
            while not queue.empty():
                item = queue.get_nowait()
                for _ in range(MAX_ATTEMPTS):
                    try:
                        await export(item, timeout=60)
                        break
                    except grpc.aio.AioRpcError as exc:
                        if exc.code() not in RETRYABLE:
                            run.failed += 1
                            run.first_error = (
                                run.first_error or f"{exc.code().name}: {exc.details()}"
                            )
                            break
                        run.retries += 1
                        await asyncio.sleep(RETRY_PAUSE_S)
                else:
                    run.failed += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        run.seconds = time.perf_counter() - started
    return run


def query_scalar(port: int, sql: str, timeout_s: float = 60.0) -> float:
    """First value of the first row of a read-only query through ExecuteQuery."""
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = telemetry_service_pb2_grpc.TelemetryQueryServiceStub(channel)
        response = stub.ExecuteQuery(
            telemetry_service_pb2.ExecuteQueryRequest(sql=sql, max_rows=1), timeout=timeout_s
        )
    value = response.rows[0].values[0]
    kind = value.WhichOneof("kind")
    return float(value.number_value if kind == "number_value" else value.string_value)


def query_column(
    stub: telemetry_service_pb2_grpc.TelemetryQueryServiceStub, sql: str, timeout_s: float = 10.0
) -> list[str]:
    """The first column of every row, as strings."""
    response = stub.ExecuteQuery(
        telemetry_service_pb2.ExecuteQueryRequest(sql=sql, max_rows=100_000), timeout=timeout_s
    )
    return [row.values[0].string_value for row in response.rows]
