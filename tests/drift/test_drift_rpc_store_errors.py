"""Store failures reach the caller as gRPC statuses with an ErrorInfo reason, not crashes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

import grpc
import pytest
from clickhouse_connect.driver.exceptions import DatabaseError, OperationalError
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from llmcouncil.telemetry.v1 import telemetry_service_pb2 as pb
from llmcouncil.telemetry.v1 import telemetry_service_pb2_grpc as pb_grpc

from telemetry_service.config import load_settings
from telemetry_service.drift.rpc import DriftRpc
from telemetry_service.query_service import QueryService


class FailingStore:
    """A store whose every call fails the way a driver does."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    async def query(
        self,
        sql: str,
        parameters: Mapping[str, Any] | None = None,
        settings: Mapping[str, Any] | None = None,
    ) -> Any:
        raise self.error

    async def command(self, sql: str, parameters: Mapping[str, Any] | None = None) -> Any:
        raise self.error

    async def insert(
        self, table: str, rows: Sequence[Sequence[Any]], column_names: Sequence[str]
    ) -> Any:
        raise self.error


async def serve(store: FailingStore) -> AsyncIterator[pb_grpc.TelemetryQueryServiceStub]:
    settings = load_settings({"TELEMETRY_LISTEN_ADDR": "127.0.0.1:0"})
    server = grpc.aio.server()
    drift = DriftRpc(store, settings, environ={})
    pb_grpc.add_TelemetryQueryServiceServicer_to_server(
        QueryService(store, settings, drift),  # type: ignore[arg-type]
        server,
    )
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            yield pb_grpc.TelemetryQueryServiceStub(channel)
    finally:
        await server.stop(None)


def reason(error: grpc.aio.AioRpcError) -> str:
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    assert status is not None
    for detail in status.details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            return info.reason
    return ""


@pytest.mark.parametrize(
    ("error", "code", "expected_reason"),
    [
        pytest.param(
            OperationalError("connection refused"),
            grpc.StatusCode.UNAVAILABLE,
            "STORE_UNAVAILABLE",
            id="store-down-unavailable",
        ),
        pytest.param(
            DatabaseError("Code: 60. Unknown table"),
            grpc.StatusCode.INTERNAL,
            "DRIFT_QUERY_FAILED",
            id="query-failed-internal",
        ),
    ],
)
async def test_store_failure_becomes_a_status(
    error: Exception, code: grpc.StatusCode, expected_reason: str
) -> None:
    async for stub in serve(FailingStore(error)):
        for call, request in (
            (stub.GetDriftReport, pb.GetDriftReportRequest()),
            (stub.ListSelectionShares, pb.ListSelectionSharesRequest()),
            (stub.ListDriftEvents, pb.ListDriftEventsRequest()),
        ):
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await call(request)
            assert caught.value.code() == code
            assert reason(caught.value) == expected_reason
