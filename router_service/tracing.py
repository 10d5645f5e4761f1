"""OpenTelemetry setup for the router, and counting of spans that never arrive.

Export is batched in a background thread (BatchSpanProcessor) so a slow or absent
telemetry service never slows a request. Spans that cannot be delivered are counted:
`CountingSpanExporter` counts exported and failed spans, `CountingBatchSpanProcessor`
bounds what waits for export and counts the spans it drops. A WARNING log line reports
the counts, at most once per `warn_interval_s`.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from opentelemetry import trace as trace_api
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

from router_service.config import ConfigError, parse_bool

log = logging.getLogger(__name__)

SERVICE_NAME = "router-service"
DEFAULT_OTLP_ENDPOINT = "http://127.0.0.1:4317"
# Fresh events for the drift views; the SDK default is 5000 ms.
DEFAULT_SCHEDULE_DELAY_MS = 500
DEFAULT_MAX_QUEUE_SIZE = 2048
SDK_DEFAULT_EXPORT_BATCH = 512
# Seconds between two "spans not delivered" warnings.
WARN_INTERVAL_S = 30.0


@dataclass(frozen=True)
class DeliveryCounts:
    exported: int
    failed: int
    dropped: int

    @property
    def undelivered(self) -> int:
        return self.failed + self.dropped


class SpanDeliveryCounters:
    """Thread-safe counts of exported, failed and dropped spans, with a rate-limited warning."""

    def __init__(
        self,
        *,
        warn_interval_s: float = WARN_INTERVAL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._lock = threading.Lock()
        self._exported = 0
        self._failed = 0
        self._dropped = 0
        self._warned_undelivered = 0
        self._last_warning: float | None = None
        self._warn_interval_s = warn_interval_s
        self._clock = clock

    def add_exported(self, count: int) -> None:
        with self._lock:
            self._exported += count

    def add_failed(self, count: int) -> None:
        with self._lock:
            self._failed += count
        self._maybe_warn()

    def add_dropped(self, count: int) -> None:
        with self._lock:
            self._dropped += count
        self._maybe_warn()

    def snapshot(self) -> DeliveryCounts:
        with self._lock:
            return DeliveryCounts(self._exported, self._failed, self._dropped)

    def _maybe_warn(self) -> None:
        now = self._clock()
        with self._lock:
            undelivered = self._failed + self._dropped
            if undelivered == self._warned_undelivered:
                return
            if self._last_warning is not None and now - self._last_warning < self._warn_interval_s:
                return
            self._last_warning = now
            self._warned_undelivered = undelivered
            counts = DeliveryCounts(self._exported, self._failed, self._dropped)
        log.warning(
            "telemetry spans not delivered: %d failed export, %d dropped (queue full); %d exported",
            counts.failed,
            counts.dropped,
            counts.exported,
        )


class CountingSpanExporter(SpanExporter):
    """Wraps an exporter and counts what it delivered and what it failed to deliver."""

    def __init__(self, inner: SpanExporter, counters: SpanDeliveryCounters) -> None:
        self._inner = inner
        self._counters = counters

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        try:
            result = self._inner.export(spans)
        except Exception:
            # The exporter broke; the batch is lost. Count it and keep serving.
            log.exception("span exporter raised; %d spans lost", len(spans))
            self._counters.add_failed(len(spans))
            return SpanExportResult.FAILURE
        if result is SpanExportResult.SUCCESS:
            self._counters.add_exported(len(spans))
        else:
            self._counters.add_failed(len(spans))
        return result

    def shutdown(self) -> None:
        self._inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self._inner.force_flush(timeout_millis)


class CountingBatchSpanProcessor(BatchSpanProcessor):
    """A BatchSpanProcessor that counts the spans it cannot take.

    The SDK's queue silently evicts its oldest span when full. We keep our own bound
    on spans handed over but not yet exported (queued plus the batch in flight), and
    drop and count a span before the SDK queue could overflow. Only public numbers are
    used: what we submitted and what the CountingSpanExporter reported back.
    """

    def __init__(
        self,
        exporter: CountingSpanExporter,
        counters: SpanDeliveryCounters,
        *,
        max_queue_size: int = DEFAULT_MAX_QUEUE_SIZE,
        schedule_delay_millis: float | None = None,
    ) -> None:
        super().__init__(
            exporter,
            max_queue_size=max_queue_size,
            schedule_delay_millis=schedule_delay_millis,
            # The SDK's default batch (512 spans) may not exceed a smaller queue.
            max_export_batch_size=None
            if max_queue_size >= SDK_DEFAULT_EXPORT_BATCH
            else max_queue_size,
        )
        self._counters = counters
        self._limit = max_queue_size
        self._submitted = 0
        self._closed = False
        self._admit_lock = threading.Lock()

    def on_end(self, span: ReadableSpan) -> None:
        if not (span.context and span.context.trace_flags.sampled):
            return
        with self._admit_lock:
            counts = self._counters.snapshot()
            waiting = self._submitted - counts.exported - counts.failed
            admit = not self._closed and waiting < self._limit
            if admit:
                self._submitted += 1
        if not admit:
            self._counters.add_dropped(1)
            return
        super().on_end(span)

    def shutdown(self) -> None:
        with self._admit_lock:
            self._closed = True
        super().shutdown()


@dataclass
class Tracing:
    """The process's tracer provider (None when OTEL_SDK_DISABLED) and its counters."""

    provider: TracerProvider | None
    counters: SpanDeliveryCounters

    def tracer_provider(self) -> trace_api.TracerProvider:
        return self.provider if self.provider is not None else trace_api.NoOpTracerProvider()

    def force_flush(self, timeout_millis: int = 5000) -> None:
        if self.provider is not None:
            self.provider.force_flush(timeout_millis)

    def shutdown(self) -> None:
        if self.provider is not None:
            self.provider.shutdown()


def positive_int(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(name, f"must be an integer, got {raw!r}") from None
    if value < 1:
        raise ConfigError(name, f"must be >= 1, got {value}")
    return value


@dataclass(frozen=True)
class OtlpTarget:
    """Where and how one OTLP signal is exported (timeout in seconds; None = SDK default)."""

    endpoint: str
    insecure: bool
    timeout_s: float | None


def otlp_target(environ: Mapping[str, str], signal: str) -> OtlpTarget:
    """Endpoint, insecure and timeout for `signal` ("TRACES", "METRICS") from `environ`.

    The signal-specific variable (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) wins over the
    general one. Other OTEL_EXPORTER_OTLP_* settings (headers, certificates, compression)
    are read by the exporter itself from the process environment.
    """
    endpoint = (
        environ.get(f"OTEL_EXPORTER_OTLP_{signal}_ENDPOINT")
        or environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
        or DEFAULT_OTLP_ENDPOINT
    ).strip()
    insecure_raw = environ.get(f"OTEL_EXPORTER_OTLP_{signal}_INSECURE") or environ.get(
        "OTEL_EXPORTER_OTLP_INSECURE"
    )
    insecure = (
        parse_bool("OTEL_EXPORTER_OTLP_INSECURE", insecure_raw)
        if insecure_raw
        else endpoint.startswith("http://")
    )
    timeout_raw = environ.get(f"OTEL_EXPORTER_OTLP_{signal}_TIMEOUT") or environ.get(
        "OTEL_EXPORTER_OTLP_TIMEOUT"
    )
    try:
        timeout_s = float(timeout_raw) if timeout_raw else None
    except ValueError:
        raise ConfigError(
            "OTEL_EXPORTER_OTLP_TIMEOUT", f"must be seconds, got {timeout_raw!r}"
        ) from None
    return OtlpTarget(endpoint=endpoint, insecure=insecure, timeout_s=timeout_s)


def _otlp_exporter(environ: Mapping[str, str]) -> SpanExporter:
    """The standard OTLP/gRPC span exporter."""
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

    target = otlp_target(environ, "TRACES")
    return OTLPSpanExporter(
        endpoint=target.endpoint, insecure=target.insecure, timeout=target.timeout_s
    )


def service_resource(service_version: str) -> Resource:
    """The process's resource, shared by its spans and metrics."""
    return Resource.create(
        {
            "service.name": SERVICE_NAME,
            "service.version": service_version,
            "service.instance.id": str(uuid.uuid4()),
        }
    )


def create_tracing(
    environ: Mapping[str, str],
    *,
    service_version: str,
    exporter: SpanExporter | None = None,
    counters: SpanDeliveryCounters | None = None,
    resource: Resource | None = None,
) -> Tracing:
    """The standard SDK pipeline: TracerProvider -> counting batch processor -> OTLP/gRPC.

    Standard OTEL_* variables are read from `environ`; our defaults differ from the SDK's
    in two places: endpoint http://127.0.0.1:4317 (TELEMETRY_LISTEN_ADDR's default) and a
    500 ms schedule delay so drift views see fresh selections.
    """
    counters = counters or SpanDeliveryCounters()
    if parse_bool("OTEL_SDK_DISABLED", environ.get("OTEL_SDK_DISABLED", "")):
        return Tracing(provider=None, counters=counters)
    if exporter is None:
        exporter = _otlp_exporter(environ)
    # Read from the mapping given (not only os.environ) so in-process servers can differ.
    schedule_delay = positive_int(environ, "OTEL_BSP_SCHEDULE_DELAY", DEFAULT_SCHEDULE_DELAY_MS)
    provider = TracerProvider(resource=resource or service_resource(service_version))
    provider.add_span_processor(
        CountingBatchSpanProcessor(
            CountingSpanExporter(exporter, counters),
            counters,
            max_queue_size=positive_int(environ, "OTEL_BSP_MAX_QUEUE_SIZE", DEFAULT_MAX_QUEUE_SIZE),
            schedule_delay_millis=schedule_delay,
        )
    )
    return Tracing(provider=provider, counters=counters)
