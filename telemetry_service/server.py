"""The telemetry gRPC server: OTLP receivers + query service + health + reflection, on one
port, with the store, migrations, batch writer and the optional drift hooks wired in."""

from __future__ import annotations

import asyncio
import importlib
import logging
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from llmcouncil.telemetry.v1 import telemetry_service_pb2, telemetry_service_pb2_grpc
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

from telemetry_service import migrate
from telemetry_service.clickhouse_writer import BatchWriter
from telemetry_service.config import Settings, SettingsError
from telemetry_service.native_ingest import NativeSpanWriter
from telemetry_service.otlp_receiver import ExportGate, add_receivers
from telemetry_service.query_service import DriftHandler, QueryService
from telemetry_service.store import Store

logger = logging.getLogger(__name__)

# OTLP senders may batch large exports; beyond this gRPC answers RESOURCE_EXHAUSTED.
MAX_MESSAGE_BYTES = 64 * 1024 * 1024
# Seconds in-flight RPCs get to finish once a drain starts.
DRAIN_GRACE_S = 10.0


def service_names(query_enabled: bool) -> list[str]:
    names = [
        trace_service_pb2.DESCRIPTOR.services_by_name["TraceService"].full_name,
        logs_service_pb2.DESCRIPTOR.services_by_name["LogsService"].full_name,
        metrics_service_pb2.DESCRIPTOR.services_by_name["MetricsService"].full_name,
    ]
    if query_enabled:
        names.append(
            telemetry_service_pb2.DESCRIPTOR.services_by_name["TelemetryQueryService"].full_name
        )
    return names


def otlp_service_names() -> list[str]:
    """The OTLP services, whose health follows the store's writes."""
    return service_names(query_enabled=False)


def _optional_module(name: str) -> Any | None:
    """The module, or None when it (not one of its own imports) does not exist."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and name.startswith(exc.name):
            return None
        raise


def load_drift_rpc(store: Store, settings: Settings) -> DriftHandler | None:
    module = _optional_module("telemetry_service.drift.rpc")
    return None if module is None else module.DriftRpc(store, settings)


def load_catalog_poller(store: Store, settings: Settings) -> Any | None:
    """The drift catalog poller, or None; its bad settings become a SettingsError."""
    module = _optional_module("telemetry_service.drift.catalog")
    if module is None:
        return None
    try:
        return module.CatalogPoller(store, settings)
    except ValueError as exc:
        variable = getattr(module, "INTERVAL_VARIABLE", "TELEMETRY_CATALOG_INTERVAL_S")
        raise SettingsError(variable, str(exc)) from exc


def _credentials(settings: Settings) -> grpc.ServerCredentials | None:
    if not settings.tls_cert_file:
        return None
    with open(settings.tls_key_file, "rb") as key, open(settings.tls_cert_file, "rb") as cert:
        return grpc.ssl_server_credentials([(key.read(), cert.read())])


def build_server(
    settings: Settings,
    store: Store,
    writer: BatchWriter,
    drift: DriftHandler | None,
) -> tuple[grpc.aio.Server, int, health.aio.HealthServicer]:
    """A bound (not started) server and its port; port 0 in listen_addr picks a free one."""
    server = grpc.aio.server(
        options=[
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
            ("grpc.so_reuseport", 0),
        ],
    )
    add_receivers(
        server,
        ExportGate(writer, settings.auth_token, settings.retry_after_s),
        native=settings.ingest_mode == "native",
    )
    if settings.query_enabled:
        telemetry_service_pb2_grpc.add_TelemetryQueryServiceServicer_to_server(
            QueryService(store, settings, drift), server
        )
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    health_name = health_pb2.DESCRIPTOR.services_by_name["Health"].full_name
    reflection.enable_server_reflection(
        [*service_names(settings.query_enabled), health_name, reflection.SERVICE_NAME], server
    )
    credentials = _credentials(settings)
    try:
        if credentials is None:
            port = server.add_insecure_port(settings.listen_addr)
        else:
            port = server.add_secure_port(settings.listen_addr, credentials)
    except RuntimeError as exc:
        raise SettingsError(
            "TELEMETRY_LISTEN_ADDR", f"cannot listen on {settings.listen_addr}: {exc}"
        ) from exc
    return server, port, health_servicer


class TelemetryApp:
    """Start: open store, migrate, start writer and server. Stop: drain in that order back."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.store: Store | None = None
        self.writer: BatchWriter | None = None
        self.native: NativeSpanWriter | None = None
        self.server: grpc.aio.Server | None = None
        self.health: health.aio.HealthServicer | None = None
        self.port = 0
        self._poller: Any | None = None

    async def start(self) -> int:
        settings = self.settings
        self.store = await asyncio.to_thread(Store.open, settings.clickhouse_url)
        try:
            self._poller = load_catalog_poller(self.store, settings)
        except SettingsError:
            await asyncio.to_thread(self.store.close)
            self.store = None
            raise
        steps = migrate.plan(
            migrate.load_migrations(),
            migrate.ttl_params(settings.raw_ttl_days, settings.selections_ttl_days),
            settings.cluster,
        )
        store = self.store
        applied = await asyncio.to_thread(
            migrate.apply_migrations,
            store.command_sync,
            lambda sql: store.query_sync(sql).rows,
            steps,
        )
        if applied:
            logger.info("applied migrations %s", applied)
        insert_columns = store.insert_columns_sync
        if settings.ingest_mode == "native":
            self.native = NativeSpanWriter(store.command_sync, insert_columns)
            await asyncio.to_thread(self.native.prepare)
            insert_columns = self.native.insert_columns
        self.writer = BatchWriter(
            insert_columns,
            settings.max_batch_rows,
            settings.max_buffer_rows,
            settings.flush_interval_ms / 1000,
            on_store_state=self._store_state_changed,
        )
        self.writer.start()
        drift = load_drift_rpc(store, settings) if settings.query_enabled else None
        self.server, self.port, self.health = build_server(settings, store, self.writer, drift)
        await self.server.start()
        for name in ["", *service_names(settings.query_enabled)]:
            await self.health.set(name, health_pb2.HealthCheckResponse.SERVING)
        if self._poller is not None:
            await self._poller.start()
        host = settings.listen_addr.rpartition(":")[0]
        logger.info(
            "telemetry-service listening on %s:%d, store %s, ingest %s",
            host,
            self.port,
            settings.redacted_clickhouse_url(),
            settings.ingest_mode,
        )
        return self.port

    async def _store_state_changed(self, ok: bool) -> None:
        """Failing inserts make the OTLP services (and the server as a whole) NOT_SERVING, so
        load balancers and senders' health checks move away until a write succeeds again;
        the query service keeps its status (reads may still work)."""
        if self.health is None:
            return
        status = (
            health_pb2.HealthCheckResponse.SERVING
            if ok
            else health_pb2.HealthCheckResponse.NOT_SERVING
        )
        if not ok:
            logger.warning("store writes failing: health NOT_SERVING until a write succeeds")
        for name in ["", *otlp_service_names()]:
            await self.health.set(name, status)

    async def stop(self, grace_s: float = DRAIN_GRACE_S) -> None:
        """Graceful drain: NOT_SERVING, stop accepting, finish in-flight exports, flush, close."""
        logger.info("draining")
        if self.health is not None:
            await self.health.enter_graceful_shutdown()
        if self._poller is not None:
            await self._poller.stop()
        if self.server is not None:
            await self.server.stop(grace_s)
        if self.writer is not None:
            await self.writer.stop()
        if self.native is not None:
            await asyncio.to_thread(self.native.close)
        if self.store is not None:
            await asyncio.to_thread(self.store.close)
        logger.info("stopped")
