"""TelemetryQueryService: read-only SQL (ExecuteQuery) and the drift RPCs (delegated).

Read-only is enforced by the engine (the store's reader client runs with readonly=2) and by
the pure pre-checks in query_guard. Row, time, size and memory limits go to the engine as
per-query settings.
"""

from __future__ import annotations

import time
from typing import Any, Protocol

import grpc
from clickhouse_connect.driver.exceptions import DatabaseError, OperationalError
from google.protobuf import duration_pb2
from llmcouncil.telemetry.v1 import telemetry_service_pb2 as pb
from llmcouncil.telemetry.v1 import telemetry_service_pb2_grpc as pb_grpc

from telemetry_service.config import Settings
from telemetry_service.errors import abort
from telemetry_service.otlp_receiver import ServicerContext, check_bearer
from telemetry_service.query_guard import check_statement, strip_trailing_semicolon
from telemetry_service.query_values import to_value
from telemetry_service.store import Store

# ClickHouse error codes -> (gRPC code, ErrorInfo reason).
READONLY_CODES = frozenset({164, 497})  # READONLY, ACCESS_DENIED
TIMEOUT_CODES = frozenset({159})  # TIMEOUT_EXCEEDED
RESOURCE_CODES = frozenset({241, 396})  # MEMORY_LIMIT_EXCEEDED, TOO_MANY_ROWS_OR_BYTES
QUERY_DENIED = "QUERY_NOT_READ_ONLY"


class DriftHandler(Protocol):
    async def get_drift_report(
        self, request: pb.GetDriftReportRequest, context: Any
    ) -> pb.GetDriftReportResponse: ...

    async def list_selection_shares(
        self, request: pb.ListSelectionSharesRequest, context: Any
    ) -> pb.ListSelectionSharesResponse: ...

    async def list_drift_events(
        self, request: pb.ListDriftEventsRequest, context: Any
    ) -> pb.ListDriftEventsResponse: ...


def engine_error_status(exc: DatabaseError) -> tuple[grpc.StatusCode, str]:
    """The gRPC code and reason for an engine error."""
    code = getattr(exc, "code", None)
    if code in READONLY_CODES:
        return grpc.StatusCode.PERMISSION_DENIED, QUERY_DENIED
    if code in TIMEOUT_CODES:
        return grpc.StatusCode.DEADLINE_EXCEEDED, "QUERY_TIMEOUT"
    if code in RESOURCE_CODES:
        return grpc.StatusCode.RESOURCE_EXHAUSTED, "QUERY_RESOURCE_LIMIT"
    if code is None and isinstance(exc, OperationalError):
        return grpc.StatusCode.UNAVAILABLE, "STORE_UNAVAILABLE"
    return grpc.StatusCode.INVALID_ARGUMENT, "QUERY_INVALID"


def query_limits(settings: Settings, max_rows: int, timeout_s: float) -> dict[str, Any]:
    """Per-query engine settings. One row beyond max_rows is read to detect truncation."""
    return {
        "max_execution_time": max(1, round(timeout_s)),
        "timeout_overflow_mode": "throw",
        "max_result_rows": max_rows + 1,
        "max_result_bytes": settings.query_max_result_bytes,
        "result_overflow_mode": "break",
        "max_memory_usage": settings.query_max_memory_bytes,
    }


def effective_limits(settings: Settings, request: pb.ExecuteQueryRequest) -> tuple[int, float]:
    """(max_rows, timeout in s) from the request, defaulted and capped."""
    max_rows = request.max_rows or settings.query_default_rows
    timeout_s = settings.query_default_timeout_s
    if request.HasField("timeout"):
        timeout_s = request.timeout.ToNanoseconds() / 1e9
    return min(max_rows, settings.query_max_rows), min(timeout_s, settings.query_max_timeout_s)


class QueryService(pb_grpc.TelemetryQueryServiceServicer):
    def __init__(self, store: Store, settings: Settings, drift: DriftHandler | None) -> None:
        self._store = store
        self._settings = settings
        self._drift = drift

    async def _auth(self, context: ServicerContext) -> None:
        await check_bearer(context, self._settings.query_token, "QUERY_UNAUTHENTICATED")

    async def ExecuteQuery(
        self, request: pb.ExecuteQueryRequest, context: ServicerContext
    ) -> pb.ExecuteQueryResponse:
        await self._auth(context)
        refusal = check_statement(request.sql)
        if refusal is not None:
            if refusal.invalid:
                await abort(
                    context,
                    grpc.StatusCode.INVALID_ARGUMENT,
                    "QUERY_INVALID",
                    refusal.message,
                    field_violations=[("sql", refusal.message)],
                )
            await abort(context, grpc.StatusCode.PERMISSION_DENIED, QUERY_DENIED, refusal.message)
        if request.HasField("timeout") and request.timeout.ToNanoseconds() <= 0:
            message = "timeout must be > 0"
            await abort(
                context,
                grpc.StatusCode.INVALID_ARGUMENT,
                "QUERY_INVALID",
                message,
                field_violations=[("timeout", message)],
            )
        max_rows, timeout_s = effective_limits(self._settings, request)
        started = time.perf_counter()
        try:
            result = await self._store.query(
                strip_trailing_semicolon(request.sql),
                settings=query_limits(self._settings, max_rows, timeout_s),
            )
        except DatabaseError as exc:
            code, reason = engine_error_status(exc)
            await abort(context, code, reason, str(exc))
            raise  # abort raises; this keeps type checkers aware
        elapsed = duration_pb2.Duration()
        elapsed.FromNanoseconds(int((time.perf_counter() - started) * 1e9))
        response = pb.ExecuteQueryResponse(
            columns=[
                pb.QueryColumn(name=name, type=type_name)
                for name, type_name in zip(result.column_names, result.column_types, strict=True)
            ],
            truncated=len(result.rows) > max_rows,
            elapsed=elapsed,
        )
        for row in result.rows[:max_rows]:
            response.rows.add().values.extend(to_value(v) for v in row)
        return response

    async def _drift_handler(self, context: ServicerContext) -> DriftHandler:
        await self._auth(context)
        if self._drift is None:
            await abort(
                context,
                grpc.StatusCode.UNIMPLEMENTED,
                "DRIFT_UNAVAILABLE",
                "drift analysis is not installed in this build",
            )
        assert self._drift is not None
        return self._drift

    async def GetDriftReport(
        self, request: pb.GetDriftReportRequest, context: ServicerContext
    ) -> pb.GetDriftReportResponse:
        return await (await self._drift_handler(context)).get_drift_report(request, context)

    async def ListSelectionShares(
        self, request: pb.ListSelectionSharesRequest, context: ServicerContext
    ) -> pb.ListSelectionSharesResponse:
        handler = await self._drift_handler(context)
        return await handler.list_selection_shares(request, context)

    async def ListDriftEvents(
        self, request: pb.ListDriftEventsRequest, context: ServicerContext
    ) -> pb.ListDriftEventsResponse:
        return await (await self._drift_handler(context)).list_drift_events(request, context)
