"""OTLP/gRPC receiver: TraceService (spans), LogsService and MetricsService.

Each export is mapped to rows (pure), handed to the batch writer and acknowledged only after
the rows are written. Malformed spans are reported through partial_success; a full buffer or
a failing store answers UNAVAILABLE with RetryInfo so the sender retries (the OTLP exporters
retry UNAVAILABLE and honour RetryInfo).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeAlias

import grpc
from google.protobuf.message import DecodeError, Message
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2, logs_service_pb2_grpc
from opentelemetry.proto.collector.metrics.v1 import (
    metrics_service_pb2,
    metrics_service_pb2_grpc,
)
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc

from telemetry_service.clickhouse_writer import BatchWriter, BufferFull, StoreUnavailable, TableRows
from telemetry_service.errors import abort
from telemetry_service.native_ingest import (
    RAW_EXPORTS_COLUMNS,
    RAW_EXPORTS_TABLE,
    RawTraceExport,
)
from telemetry_service.native_ingest import span_parts as span_parts
from telemetry_service.signal_rows import (
    GENAI_METRICS_COLUMNS,
    OTEL_LOGS_COLUMNS,
    log_rows,
    metric_rows,
)
from telemetry_service.span_rows import SpanBatch, rows_from_request

logger = logging.getLogger(__name__)

# Requests with more spans than this are mapped in a worker thread so the event loop keeps
# answering health checks and small exports meanwhile.
INLINE_MAPPING_MAX_SPANS = 256

ServicerContext: TypeAlias = grpc.aio.ServicerContext


async def check_bearer(context: ServicerContext, token: str, reason: str) -> None:
    """Abort with UNAUTHENTICATED unless `authorization: Bearer <token>` is present."""
    if not token:
        return
    for key, value in context.invocation_metadata() or ():
        if key == "authorization" and value == f"Bearer {token}":
            return
    await abort(context, grpc.StatusCode.UNAUTHENTICATED, reason, "missing or wrong bearer token")


class ExportGate:
    """Shared by the three services: auth, write, and the retryable error mapping."""

    def __init__(self, writer: BatchWriter, auth_token: str, retry_after_s: float) -> None:
        self.writer = writer
        self.auth_token = auth_token
        self.retry_after_s = retry_after_s

    async def write(
        self, context: ServicerContext, parts: list[TableRows], rows: int | None = None
    ) -> None:
        try:
            await self.writer.write(parts, rows)
        except BufferFull as exc:
            await abort(
                context,
                grpc.StatusCode.UNAVAILABLE,
                "WRITE_BUFFER_FULL",
                str(exc),
                retry_after_s=self.retry_after_s,
            )
        except StoreUnavailable as exc:
            await abort(
                context,
                grpc.StatusCode.UNAVAILABLE,
                "STORE_UNAVAILABLE",
                str(exc),
                retry_after_s=self.retry_after_s,
            )


class TraceReceiver(trace_service_pb2_grpc.TraceServiceServicer):
    def __init__(self, gate: ExportGate) -> None:
        self._gate = gate

    async def Export(
        self,
        request: trace_service_pb2.ExportTraceServiceRequest | RawTraceExport,
        context: ServicerContext,
    ) -> trace_service_pb2.ExportTraceServiceResponse:
        await check_bearer(context, self._gate.auth_token, "OTLP_UNAUTHENTICATED")
        if isinstance(request, RawTraceExport):
            return await self._export_raw(request, context)
        spans = sum(len(s.spans) for r in request.resource_spans for s in r.scope_spans)
        if spans > INLINE_MAPPING_MAX_SPANS:
            batch = await asyncio.to_thread(rows_from_request, request)
        else:
            batch = rows_from_request(request)
        await self._gate.write(context, span_parts(batch))
        return self._response(batch, spans)

    async def _export_raw(
        self, export: RawTraceExport, context: ServicerContext
    ) -> trace_service_pb2.ExportTraceServiceResponse:
        """Native mode: the engine maps the bytes in the flush (native_ingest); a request it
        cannot map exactly comes back with the Python mapping's batch and its rejects."""
        message = export.message
        spans = sum(len(s.spans) for r in message.resource_spans for s in r.scope_spans)
        if spans:
            part = TableRows(RAW_EXPORTS_TABLE, RAW_EXPORTS_COLUMNS, [(export,)])
            # Each span makes about one otel_traces row: the batch/buffer limits count those.
            await self._gate.write(context, [part], rows=spans)
        return self._response(export.python_batch or SpanBatch(), spans)

    @staticmethod
    def _response(batch: SpanBatch, spans: int) -> trace_service_pb2.ExportTraceServiceResponse:
        response = trace_service_pb2.ExportTraceServiceResponse()
        if batch.rejected:
            logger.info("export rejected %d of %d spans", batch.rejected, spans)
            response.partial_success.rejected_spans = batch.rejected
            response.partial_success.error_message = batch.error_message()
        return response


class LogsReceiver(logs_service_pb2_grpc.LogsServiceServicer):
    """Stores every log record in otel_logs."""

    def __init__(self, gate: ExportGate) -> None:
        self._gate = gate

    async def Export(
        self,
        request: logs_service_pb2.ExportLogsServiceRequest,
        context: ServicerContext,
    ) -> logs_service_pb2.ExportLogsServiceResponse:
        await check_bearer(context, self._gate.auth_token, "OTLP_UNAUTHENTICATED")
        rows = log_rows(request)
        await self._gate.write(context, [TableRows("otel_logs", OTEL_LOGS_COLUMNS, rows)])
        return logs_service_pb2.ExportLogsServiceResponse()


class MetricsReceiver(metrics_service_pb2_grpc.MetricsServiceServicer):
    """Stores gen_ai.* metrics in genai_metrics; other metrics are accepted and counted."""

    def __init__(self, gate: ExportGate) -> None:
        self._gate = gate
        self.ignored_metrics = 0

    async def Export(
        self,
        request: metrics_service_pb2.ExportMetricsServiceRequest,
        context: ServicerContext,
    ) -> metrics_service_pb2.ExportMetricsServiceResponse:
        await check_bearer(context, self._gate.auth_token, "OTLP_UNAUTHENTICATED")
        rows, ignored = metric_rows(request)
        self.ignored_metrics += ignored
        await self._gate.write(context, [TableRows("genai_metrics", GENAI_METRICS_COLUMNS, rows)])
        return metrics_service_pb2.ExportMetricsServiceResponse()


# Stands in for a request whose bytes did not parse; Export answers INVALID_ARGUMENT for it
# (grpc.aio would otherwise end the call UNKNOWN, which OTLP senders treat as retryable).
UNDECODABLE = object()

Export: TypeAlias = Callable[[Any, ServicerContext], Awaitable[Any]]


def raw_trace_parser(data: bytes) -> object:
    """Native mode's deserializer: the bytes as received (the engine decodes them) and the
    parsed message (validates the body, counts spans, feeds the Python fallback)."""
    try:
        message = trace_service_pb2.ExportTraceServiceRequest.FromString(data)
    except DecodeError:
        return UNDECODABLE
    return RawTraceExport(bytes(data), message)


def tolerant_parser(message_cls: type[Message]) -> Callable[[bytes], object]:
    """A request deserializer that returns UNDECODABLE instead of raising."""

    def parse(data: bytes) -> object:
        try:
            return message_cls.FromString(data)
        except DecodeError:
            return UNDECODABLE

    return parse


def export_handler(
    gate: ExportGate,
    request_cls: type[Message],
    export: Export,
    parser: Callable[[bytes], object] | None = None,
) -> grpc.RpcMethodHandler:
    async def handle(request: Any, context: ServicerContext) -> Any:
        if request is UNDECODABLE:
            await check_bearer(context, gate.auth_token, "OTLP_UNAUTHENTICATED")
            full_name = request_cls.DESCRIPTOR.full_name
            await abort(
                context,
                grpc.StatusCode.INVALID_ARGUMENT,
                "OTLP_UNDECODABLE",
                f"the request body is not a valid {full_name} message",
            )
        return await export(request, context)

    return grpc.unary_unary_rpc_method_handler(
        handle,
        request_deserializer=parser or tolerant_parser(request_cls),
        response_serializer=lambda message: message.SerializeToString(),
    )


def add_receivers(server: grpc.aio.Server, gate: ExportGate, native: bool = False) -> None:
    """Register the three OTLP services; `native` hands trace exports' raw bytes to the
    writer (TELEMETRY_INGEST_MODE=native) instead of mapping them here."""
    receivers: list[tuple[str, type[Message], Export]] = [
        (
            "opentelemetry.proto.collector.trace.v1.TraceService",
            trace_service_pb2.ExportTraceServiceRequest,
            TraceReceiver(gate).Export,
        ),
        (
            "opentelemetry.proto.collector.logs.v1.LogsService",
            logs_service_pb2.ExportLogsServiceRequest,
            LogsReceiver(gate).Export,
        ),
        (
            "opentelemetry.proto.collector.metrics.v1.MetricsService",
            metrics_service_pb2.ExportMetricsServiceRequest,
            MetricsReceiver(gate).Export,
        ),
    ]
    for service, request_cls, export in receivers:
        is_trace = request_cls is trace_service_pb2.ExportTraceServiceRequest
        parser = raw_trace_parser if native and is_trace else None
        handler = export_handler(gate, request_cls, export, parser)
        server.add_generic_rpc_handlers(
            (grpc.method_handlers_generic_handler(service, {"Export": handler}),)
        )
