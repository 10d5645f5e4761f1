"""The server factory: `await create_server(settings, ...)` -> (RouterServer, port).

One grpc.aio server with RouterService, the standard health service and reflection,
the auth, concurrency and request-decoding interceptors, one pooled upstream HTTP client
(aiohttp or httpx, `Settings.http_client`) and one tracer provider and meter provider.
`RouterServer.stop()` drains: health NOT_SERVING, in-flight calls finish within the grace
period, then the HTTP pool closes, spans are flushed and the metric pipeline makes its
final export.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Mapping
from importlib import metadata
from urllib.parse import urlsplit

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1._async import HealthServicer
from grpc_reflection.v1alpha import reflection
from llmcouncil.router.v1 import router_service_pb2 as pb
from llmcouncil.router.v1 import router_service_pb2_grpc as pb_grpc
from opentelemetry import metrics as metrics_api
from opentelemetry import trace as trace_api

from router_service.config import ConfigError, Settings
from router_service.errors import undecodable_request_status
from router_service.interceptors import (
    ROUTER_METHOD_PREFIX,
    CallerAuthInterceptor,
    ConcurrencyLimitInterceptor,
)
from router_service.metrics import MetricsPipeline, RouterMetrics, create_metrics_pipeline
from router_service.openrouter_client import (
    OpenRouterClient,
    RetryPolicy,
    chat_completions_url,
    request_headers,
)
from router_service.request_decoding import DecodeGuardInterceptor
from router_service.servicer import RouterServicer, ServicerOptions
from router_service.tiers import TierTable, load_tier_table
from router_service.tracing import (
    SpanDeliveryCounters,
    Tracing,
    create_tracing,
    service_resource,
)
from router_service.upstream_http import UpstreamHTTP, create_upstream_http

log = logging.getLogger(__name__)

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["RouterService"].full_name
# Keepalive: ping idle connections every 60 s, allow client pings every 10 s (ms).
KEEPALIVE_OPTIONS: tuple[tuple[str, int], ...] = (
    ("grpc.keepalive_time_ms", 60_000),
    ("grpc.keepalive_timeout_ms", 20_000),
    ("grpc.http2.min_ping_interval_without_data_ms", 10_000),
    ("grpc.keepalive_permit_without_calls", 1),
)


def package_version() -> str:
    try:
        return metadata.version("llmcouncil-pareto-router")
    except metadata.PackageNotFoundError:
        return "0.0.0"


def _upstream_port(base_url: str) -> int:
    parts = urlsplit(base_url)
    return parts.port or (443 if parts.scheme == "https" else 80)


class RouterServer:
    """A running (or ready) router: the grpc.aio server plus what it owns."""

    def __init__(
        self,
        *,
        server: grpc.aio.Server,
        port: int,
        health: HealthServicer,
        http: UpstreamHTTP,
        tracing: Tracing,
        owns_tracing: bool,
        metrics: MetricsPipeline,
        drain_seconds: float,
        limiter: ConcurrencyLimitInterceptor,
    ) -> None:
        self.grpc_server = server
        # Our own metric pipeline only (None provider when a caller passed one, or off).
        self.metrics = metrics
        self.port = port
        self.health = health
        self.tracing = tracing
        self.limiter = limiter
        self._http = http
        self._owns_tracing = owns_tracing
        self._drain_seconds = drain_seconds
        self._stopped = False

    @property
    def span_counters(self) -> SpanDeliveryCounters:
        """Exported / failed / dropped span counts of this process."""
        return self.tracing.counters

    async def start(self) -> None:
        await self.grpc_server.start()
        await self.health.set("", health_pb2.HealthCheckResponse.SERVING)
        await self.health.set(SERVICE_NAME, health_pb2.HealthCheckResponse.SERVING)

    async def wait_for_termination(self) -> bool:
        return await self.grpc_server.wait_for_termination()

    async def stop(self, grace: float | None = None) -> None:
        """Drain: NOT_SERVING, let in-flight calls finish (grace seconds), release resources."""
        if self._stopped:
            return
        self._stopped = True
        await self.health.enter_graceful_shutdown()
        await self.grpc_server.stop(self._drain_seconds if grace is None else grace)
        await self._http.aclose()
        # Flushing exports over the network; keep it off the event loop.
        await asyncio.to_thread(self.tracing.force_flush)
        if self._owns_tracing:
            await asyncio.to_thread(self.tracing.shutdown)
        await asyncio.to_thread(self.metrics.shutdown)


def _server_options(settings: Settings, reuse_port: bool) -> list[tuple[str, int]]:
    return [
        ("grpc.max_receive_message_length", settings.max_message_bytes),
        ("grpc.max_send_message_length", settings.max_message_bytes),
        # Off unless workers share the port: a second server must not bind silently.
        ("grpc.so_reuseport", 1 if reuse_port else 0),
        *KEEPALIVE_OPTIONS,
    ]


async def create_server(
    settings: Settings,
    *,
    tiers: TierTable | None = None,
    tracer_provider: trace_api.TracerProvider | None = None,
    meter_provider: metrics_api.MeterProvider | None = None,
    environ: Mapping[str, str] | None = None,
    upstream_http: UpstreamHTTP | None = None,
    reuse_port: bool = False,
) -> tuple[RouterServer, int]:
    """Build the router server bound to `settings.listen_addr` (port 0 = any free port).

    tracer_provider: pass one (e.g. with an InMemorySpanExporter) to record spans there;
    the caller keeps ownership. None builds the standard OTLP pipeline from `environ`
    (default os.environ), owned and shut down by the server.
    meter_provider: likewise (e.g. one with an InMemoryMetricReader); None builds the
    OTLP metric pipeline from `environ` (off with OTEL_METRICS_EXPORTER=none).
    upstream_http: the client that reaches OpenRouter (owned and closed by the server);
    None builds the one `settings.http_client` names, with proxies from `environ`.
    Call `await server.start()` next, and `await server.stop()` to drain.
    """
    tiers = tiers if tiers is not None else load_tier_table(settings.config_dir)
    environ = os.environ if environ is None else environ
    resource = service_resource(package_version())
    if tracer_provider is None:
        tracing = create_tracing(environ, service_version=package_version(), resource=resource)
        owns_tracing = True
    else:
        tracing = Tracing(provider=None, counters=SpanDeliveryCounters())
        owns_tracing = False
    try:
        metrics = (
            create_metrics_pipeline(environ, resource=resource)
            if meter_provider is None
            else MetricsPipeline(provider=None)
        )
    except ConfigError:
        if owns_tracing:
            tracing.shutdown()
        raise
    provider = tracer_provider if tracer_provider is not None else tracing.tracer_provider()
    http = (
        upstream_http
        if upstream_http is not None
        else create_upstream_http(
            settings.http_client,
            url=chat_completions_url(settings.base_url),
            headers=request_headers(
                api_key=settings.api_key, app_url=settings.app_url, app_title=settings.app_title
            ),
            max_connections=settings.max_concurrency,
            environ=environ,
        )
    )
    client = OpenRouterClient(
        http, api_key=settings.api_key, retry=RetryPolicy(max_attempts=settings.max_attempts)
    )
    servicer = RouterServicer(
        tiers=tiers,
        client=client,
        tracer=provider.get_tracer("router_service", package_version()),
        metrics=RouterMetrics(
            meter_provider if meter_provider is not None else metrics.meter_provider(),
            tracing.counters,
            version=package_version(),
        ),
        options=ServicerOptions(
            max_message_chars=settings.max_message_chars,
            capture_content=settings.capture_content,
            upstream_host=settings.upstream_host,
            upstream_port=_upstream_port(settings.base_url),
        ),
    )
    limiter = ConcurrencyLimitInterceptor(settings.max_concurrency)
    interceptors: list[grpc.aio.ServerInterceptor] = []
    if settings.auth_token is not None:
        interceptors.append(CallerAuthInterceptor(settings.auth_token.reveal()))
    interceptors.append(limiter)
    # Last, so auth and the limit run first and keep the guarded deserializer.
    interceptors.append(DecodeGuardInterceptor(ROUTER_METHOD_PREFIX, undecodable_request_status))
    server = grpc.aio.server(
        interceptors=interceptors, options=_server_options(settings, reuse_port)
    )
    pb_grpc.add_RouterServiceServicer_to_server(servicer, server)
    health = HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health, server)
    reflection.enable_server_reflection(
        (
            SERVICE_NAME,
            health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
            reflection.SERVICE_NAME,
        ),
        server,
    )
    try:
        if settings.tls_cert is not None and settings.tls_key is not None:
            credentials = grpc.ssl_server_credentials([(settings.tls_key, settings.tls_cert)])
            port = server.add_secure_port(settings.listen_addr, credentials)
        else:
            port = server.add_insecure_port(settings.listen_addr)
    except RuntimeError:
        await http.aclose()
        if owns_tracing:
            tracing.shutdown()
        metrics.shutdown()
        raise
    router = RouterServer(
        server=server,
        port=port,
        health=health,
        http=http,
        tracing=tracing if tracer_provider is None else _borrowed(tracer_provider, tracing),
        owns_tracing=owns_tracing,
        metrics=metrics,
        drain_seconds=settings.drain_seconds,
        limiter=limiter,
    )
    return router, port


def _borrowed(provider: trace_api.TracerProvider, tracing: Tracing) -> Tracing:
    """A caller-owned SDK provider is flushed on drain but never shut down by us."""
    from opentelemetry.sdk.trace import TracerProvider as SdkTracerProvider

    if isinstance(provider, SdkTracerProvider):
        return Tracing(provider=provider, counters=tracing.counters)
    return tracing
