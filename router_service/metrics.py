"""OpenTelemetry metrics for the router, exported over OTLP in the background.

Per seat call (RouteSeat, StreamSeat) the GenAI client metrics
`gen_ai.client.operation.duration` (s) and `gen_ai.client.token.usage` ({token}), with
the semantic-convention bucket boundaries; and two observable counters over the span
delivery counts: `llm_council.router.spans.exported` and
`llm_council.router.spans.undelivered` (attribute `reason` = failed | dropped).

Recording only updates in-memory aggregates; a PeriodicExportingMetricReader exports from
its own thread, so a slow or absent collector never slows or fails a call.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from opentelemetry import metrics as metrics_api
from opentelemetry.metrics import CallbackOptions, Observation
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import MetricExporter, PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.util.types import AttributeValue

from router_service import span_attributes as sa
from router_service.access_log import CallOutcome
from router_service.config import ConfigError, parse_bool
from router_service.tracing import SpanDeliveryCounters, otlp_target, positive_int

log = logging.getLogger(__name__)

OPERATION_DURATION = "gen_ai.client.operation.duration"
TOKEN_USAGE = "gen_ai.client.token.usage"
SPANS_EXPORTED = "llm_council.router.spans.exported"
SPANS_UNDELIVERED = "llm_council.router.spans.undelivered"
TOKEN_TYPE = "gen_ai.token.type"

# Bucket boundaries from the GenAI semantic conventions: seconds, and token counts.
DURATION_BUCKETS_S = (
    0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
)  # fmt: skip
TOKEN_BUCKETS = (
    1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
)  # fmt: skip

# Milliseconds between exports; the SDK default (60 s) is too slow to watch a rollout.
DEFAULT_EXPORT_INTERVAL_MS = 10_000
DEFAULT_EXPORT_TIMEOUT_MS = 10_000
# Bound on the final export at drain (ms): a down collector must not hold up shutdown.
SHUTDOWN_TIMEOUT_MS = 2_000
METRICS_EXPORTERS = ("otlp", "none")

Attributes = dict[str, AttributeValue]


def call_metric_attributes(outcome: CallOutcome) -> Attributes:
    """Attributes of a seat call's metric points (low cardinality: no ids, no raw input)."""
    attrs: Attributes = {
        sa.GEN_AI_OPERATION_NAME: sa.OPERATION_CHAT,
        sa.GEN_AI_PROVIDER_NAME: sa.PROVIDER_OPENROUTER,
    }
    # An unvalidated model string is whatever the caller sent: keep it out of the series.
    if outcome.validated and outcome.requested_model:
        attrs[sa.GEN_AI_REQUEST_MODEL] = outcome.requested_model
    if outcome.resolved_model:
        attrs[sa.GEN_AI_RESPONSE_MODEL] = outcome.resolved_model
    if outcome.tier:
        attrs[sa.COUNCIL_TIER] = outcome.tier
    if outcome.reason:
        attrs[sa.ERROR_TYPE] = outcome.reason
    return attrs


class RouterMetrics:
    """The router's instruments on one meter provider (a no-op provider records nothing)."""

    def __init__(
        self,
        meter_provider: metrics_api.MeterProvider,
        counters: SpanDeliveryCounters,
        *,
        version: str,
    ) -> None:
        meter = meter_provider.get_meter("router_service", version)
        self._counters = counters
        self._duration = meter.create_histogram(
            OPERATION_DURATION,
            unit="s",
            description="GenAI operation duration.",
            explicit_bucket_boundaries_advisory=DURATION_BUCKETS_S,
        )
        self._tokens = meter.create_histogram(
            TOKEN_USAGE,
            unit="{token}",
            description="Number of input and output tokens used.",
            explicit_bucket_boundaries_advisory=TOKEN_BUCKETS,
        )
        meter.create_observable_counter(
            SPANS_EXPORTED,
            callbacks=[self._observe_exported],
            unit="{span}",
            description="Spans the OTLP exporter delivered.",
        )
        meter.create_observable_counter(
            SPANS_UNDELIVERED,
            callbacks=[self._observe_undelivered],
            unit="{span}",
            description="Spans lost: export failed, or dropped because the queue was full.",
        )

    def record_call(self, outcome: CallOutcome) -> None:
        """Record one seat call. Never raises: metrics must not fail a request."""
        try:
            attrs = call_metric_attributes(outcome)
            self._duration.record(max(0.0, outcome.latency_s), attrs)
            if outcome.input_tokens is not None:
                self._tokens.record(outcome.input_tokens, {**attrs, TOKEN_TYPE: "input"})
            if outcome.output_tokens is not None:
                self._tokens.record(outcome.output_tokens, {**attrs, TOKEN_TYPE: "output"})
        except Exception:
            # A bug in recording; the call itself succeeded or failed on its own.
            log.exception("recording metrics for %s failed", outcome.method)

    def _observe_exported(self, options: CallbackOptions) -> Iterable[Observation]:
        return [Observation(self._counters.snapshot().exported)]

    def _observe_undelivered(self, options: CallbackOptions) -> Iterable[Observation]:
        counts = self._counters.snapshot()
        return [
            Observation(counts.failed, {"reason": "failed"}),
            Observation(counts.dropped, {"reason": "dropped"}),
        ]


@dataclass
class MetricsPipeline:
    """The process's own meter provider (None when metrics are off), shut down at drain."""

    provider: MeterProvider | None

    def meter_provider(self) -> metrics_api.MeterProvider:
        return self.provider if self.provider is not None else metrics_api.NoOpMeterProvider()

    def shutdown(self) -> None:
        """Final export, bounded by SHUTDOWN_TIMEOUT_MS; then stop the export thread."""
        if self.provider is not None:
            self.provider.shutdown(timeout_millis=SHUTDOWN_TIMEOUT_MS)


def metrics_enabled(environ: Mapping[str, str]) -> bool:
    if parse_bool("OTEL_SDK_DISABLED", environ.get("OTEL_SDK_DISABLED", "")):
        return False
    exporter = environ.get("OTEL_METRICS_EXPORTER", "").strip().lower() or "otlp"
    if exporter not in METRICS_EXPORTERS:
        raise ConfigError(
            "OTEL_METRICS_EXPORTER",
            f"must be one of {', '.join(METRICS_EXPORTERS)}, got {exporter!r}",
        )
    return exporter == "otlp"


def _otlp_metric_exporter(environ: Mapping[str, str]) -> MetricExporter:
    from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter

    target = otlp_target(environ, "METRICS")
    return OTLPMetricExporter(
        endpoint=target.endpoint, insecure=target.insecure, timeout=target.timeout_s
    )


def create_metrics_pipeline(
    environ: Mapping[str, str],
    *,
    resource: Resource,
    exporter: MetricExporter | None = None,
) -> MetricsPipeline:
    """MeterProvider -> PeriodicExportingMetricReader -> OTLP/gRPC, configured by OTEL_*.

    OTEL_SDK_DISABLED=true or OTEL_METRICS_EXPORTER=none: no provider (nothing exported).
    OTEL_METRIC_EXPORT_INTERVAL (ms, default 10000) and OTEL_METRIC_EXPORT_TIMEOUT (ms,
    default 10000) are read from `environ`, the endpoint as for spans with
    OTEL_EXPORTER_OTLP_METRICS_ENDPOINT taking precedence.
    """
    if not metrics_enabled(environ):
        return MetricsPipeline(provider=None)
    reader = PeriodicExportingMetricReader(
        exporter if exporter is not None else _otlp_metric_exporter(environ),
        export_interval_millis=positive_int(
            environ, "OTEL_METRIC_EXPORT_INTERVAL", DEFAULT_EXPORT_INTERVAL_MS
        ),
        export_timeout_millis=positive_int(
            environ, "OTEL_METRIC_EXPORT_TIMEOUT", DEFAULT_EXPORT_TIMEOUT_MS
        ),
    )
    return MetricsPipeline(provider=MeterProvider(metric_readers=[reader], resource=resource))
