"""TelemetryQueryService: read-only SQL (ExecuteQuery) and the drift RPCs (delegated).

Read-only is enforced by the engine (the store's reader client runs with readonly=2) and by
the pure pre-checks in query_guard (which also refuses table functions and SETTINGS
overrides; see its docstring for what it guarantees). Row, time, size and memory limits go to
the engine as per-query settings.

Queries run on an executor of their own with at most `query_max_concurrent` threads, so they
never take the default executor's threads that the batch writer's inserts need; a query
beyond that cap is refused at once (RESOURCE_EXHAUSTED + RetryInfo) instead of queueing. A
slot is held until the engine call returns, even when the caller has gone. The drift RPCs
take a slot too, for the length of the call: they read through the same reader client.

The service needs TELEMETRY_QUERY_TOKEN as a bearer token when it is set, else
TELEMETRY_AUTH_TOKEN when that is set (so a token-protected receiver never serves an open
query port), else none.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
import weakref
from collections.abc import AsyncIterator
from concurrent.futures import Future, ThreadPoolExecutor
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
from telemetry_service.store import QueryResult, Store

# ClickHouse error codes -> (gRPC code, ErrorInfo reason).
READONLY_CODES = frozenset({164, 497})  # READONLY, ACCESS_DENIED
TIMEOUT_CODES = frozenset({159})  # TIMEOUT_EXCEEDED
RESOURCE_CODES = frozenset({241, 396})  # MEMORY_LIMIT_EXCEEDED, TOO_MANY_ROWS_OR_BYTES
QUERY_DENIED = "QUERY_NOT_READ_ONLY"
QUERY_BUSY = "QUERY_BUSY"


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


def query_bearer_token(settings: Settings) -> str:
    """The token ExecuteQuery and the drift RPCs require ('' = none): the query token, else
    the OTLP receivers' token."""
    return settings.query_token or settings.auth_token


class QueryService(pb_grpc.TelemetryQueryServiceServicer):
    def __init__(self, store: Store, settings: Settings, drift: DriftHandler | None) -> None:
        self._store = store
        self._settings = settings
        self._drift = drift
        self._token = query_bearer_token(settings)
        # Released by the worker thread when the engine call ends, hence a thread semaphore.
        self._slots = threading.BoundedSemaphore(settings.query_max_concurrent)
        self._executor = ThreadPoolExecutor(
            max_workers=settings.query_max_concurrent, thread_name_prefix="telemetry-query"
        )
        # Idle workers end when the service is dropped; a running query ends at its time limit.
        weakref.finalize(self, self._executor.shutdown, wait=False)

    async def _auth(self, context: ServicerContext) -> None:
        await check_bearer(context, self._token, "QUERY_UNAUTHENTICATED")

    async def _take_slot(self, context: ServicerContext) -> None:
        """Take a query slot, or abort RESOURCE_EXHAUSTED + RetryInfo when all are taken."""
        if not self._slots.acquire(blocking=False):
            limit = self._settings.query_max_concurrent
            await abort(
                context,
                grpc.StatusCode.RESOURCE_EXHAUSTED,
                QUERY_BUSY,
                f"{limit} queries are already running (TELEMETRY_QUERY_MAX_CONCURRENT), "
                "retry later",
                retry_after_s=self._settings.retry_after_s,
            )

    @contextlib.asynccontextmanager
    async def _slot(self, context: ServicerContext) -> AsyncIterator[None]:
        await self._take_slot(context)
        try:
            yield
        finally:
            self._slots.release()

    async def _run_query(
        self, context: ServicerContext, sql: str, settings: dict[str, Any]
    ) -> QueryResult:
        """Run on the query executor, or refuse RESOURCE_EXHAUSTED when every slot is taken."""
        await self._take_slot(context)
        try:
            running: Future[QueryResult] = self._executor.submit(
                self._store.query_sync, sql, None, settings
            )
        except RuntimeError:  # executor shut down: the service is stopping
            self._slots.release()
            raise
        running.add_done_callback(lambda _: self._slots.release())
        return await asyncio.wrap_future(running)

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
            result = await self._run_query(
                context,
                strip_trailing_semicolon(request.sql),
                query_limits(self._settings, max_rows, timeout_s),
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
        handler = await self._drift_handler(context)
        async with self._slot(context):
            return await handler.get_drift_report(request, context)

    async def ListSelectionShares(
        self, request: pb.ListSelectionSharesRequest, context: ServicerContext
    ) -> pb.ListSelectionSharesResponse:
        handler = await self._drift_handler(context)
        async with self._slot(context):
            return await handler.list_selection_shares(request, context)

    async def ListDriftEvents(
        self, request: pb.ListDriftEventsRequest, context: ServicerContext
    ) -> pb.ListDriftEventsResponse:
        handler = await self._drift_handler(context)
        async with self._slot(context):
            return await handler.list_drift_events(request, context)
