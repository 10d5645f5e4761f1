"""The drift RPCs of TelemetryQueryService (the query servicer delegates here)."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeAlias

import grpc
from clickhouse_connect.driver.exceptions import ClickHouseError, OperationalError
from llmcouncil.telemetry.v1 import telemetry_service_pb2 as pb

from telemetry_service.drift import analysis, proto_mapping
from telemetry_service.drift.expectations import load_expectations
from telemetry_service.drift.filters import DriftQuery, FilterError
from telemetry_service.drift.store import DriftStore
from telemetry_service.errors import rich_status

_LOG = logging.getLogger(__name__)
Context: TypeAlias = grpc.aio.ServicerContext[Any, Any]


class DriftRpc:
    """GetDriftReport, ListSelectionShares and ListDriftEvents over a DriftStore.

    Bad filters get INVALID_ARGUMENT (reason INVALID_DRIFT_FILTER) with a BadRequest naming
    the field; an unreachable store gets UNAVAILABLE (STORE_UNAVAILABLE), a failing query
    INTERNAL (DRIFT_QUERY_FAILED).
    """

    def __init__(
        self,
        store: DriftStore,
        settings: object = None,
        *,
        clock: Callable[[], float] = time.time,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self._store = store
        self._clock = clock
        self._expected_cost_usd = load_expectations(
            settings, os.environ if environ is None else environ
        )

    async def _query(self, message: pb.DriftFilter, context: Context) -> DriftQuery:
        try:
            return proto_mapping.query_from_filter(message, self._clock())
        except FilterError as exc:
            await context.abort_with_status(
                rich_status(
                    grpc.StatusCode.INVALID_ARGUMENT,
                    "INVALID_DRIFT_FILTER",
                    str(exc),
                    field_violations=[(exc.field, exc.description)],
                )
            )
            raise  # abort_with_status raises; this keeps type checkers aware

    async def _store_failed(self, context: Context, exc: ClickHouseError) -> None:
        unavailable = isinstance(exc, OperationalError)
        _LOG.warning("drift query failed: %s", exc)
        await context.abort_with_status(
            rich_status(
                grpc.StatusCode.UNAVAILABLE if unavailable else grpc.StatusCode.INTERNAL,
                "STORE_UNAVAILABLE" if unavailable else "DRIFT_QUERY_FAILED",
                "the selection store is unavailable" if unavailable else "drift query failed",
            )
        )

    async def get_drift_report(
        self, request: pb.GetDriftReportRequest, context: Context
    ) -> pb.GetDriftReportResponse:
        query = await self._query(request.filter, context)
        try:
            report = await analysis.build_report(
                self._store, query, self._expected_cost_usd, self._clock()
            )
        except ClickHouseError as exc:
            await self._store_failed(context, exc)
            raise
        return pb.GetDriftReportResponse(report=proto_mapping.report_message(report))

    async def list_selection_shares(
        self, request: pb.ListSelectionSharesRequest, context: Context
    ) -> pb.ListSelectionSharesResponse:
        query = await self._query(request.filter, context)
        try:
            shares = await analysis.selection_shares(
                self._store, query, by_band_and_requested=request.by_band_and_requested_model
            )
        except ClickHouseError as exc:
            await self._store_failed(context, exc)
            raise
        return pb.ListSelectionSharesResponse(
            shares=[proto_mapping.share_message(s) for s in shares]
        )

    async def list_drift_events(
        self, request: pb.ListDriftEventsRequest, context: Context
    ) -> pb.ListDriftEventsResponse:
        query = await self._query(request.filter, context)
        try:
            events = await analysis.drift_events(self._store, query)
        except ClickHouseError as exc:
            await self._store_failed(context, exc)
            raise
        return pb.ListDriftEventsResponse(events=[proto_mapping.event_message(e) for e in events])
