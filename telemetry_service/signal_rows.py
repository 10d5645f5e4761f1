"""Pure mapping of OTLP logs and of gen_ai.* / llm_council.* metrics to otel_logs and
genai_metrics rows."""

from __future__ import annotations

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.metrics.v1.metrics_pb2 import Metric

from telemetry_service.otlp_values import to_map_string, to_string_map

OTEL_LOGS_COLUMNS: tuple[str, ...] = (
    "Timestamp",
    "TraceId",
    "SpanId",
    "TraceFlags",
    "SeverityText",
    "SeverityNumber",
    "ServiceName",
    "Body",
    "ResourceAttributes",
    "ScopeName",
    "ScopeVersion",
    "LogAttributes",
)

GENAI_METRICS_COLUMNS: tuple[str, ...] = (
    "Timestamp",
    "StartTimestamp",
    "ServiceName",
    "MetricName",
    "MetricType",
    "Unit",
    "Attributes",
    "ResourceAttributes",
    "Value",
    "Count",
    "Sum",
    "Min",
    "Max",
    "BucketCounts",
    "ExplicitBounds",
)

# GenAI semantic-convention metrics, and the council's own (e.g. the router's
# llm_council.router.spans.undelivered / .exported span delivery counts).
STORED_METRIC_PREFIXES: tuple[str, ...] = ("gen_ai.", "llm_council.")


def log_rows(request: ExportLogsServiceRequest) -> list[tuple[object, ...]]:
    """One otel_logs row per log record; Timestamp in ns (observed time when unset)."""
    rows: list[tuple[object, ...]] = []
    for resource_logs in request.resource_logs:
        resource_map = to_string_map(resource_logs.resource.attributes)
        service_name = resource_map.get("service.name", "")
        for scope_logs in resource_logs.scope_logs:
            for record in scope_logs.log_records:
                rows.append(
                    (
                        record.time_unix_nano or record.observed_time_unix_nano,
                        record.trace_id.hex(),
                        record.span_id.hex(),
                        record.flags & 0xFF,
                        record.severity_text,
                        int(record.severity_number) & 0xFF,
                        service_name,
                        to_map_string(record.body),
                        resource_map,
                        scope_logs.scope.name,
                        scope_logs.scope.version,
                        to_string_map(record.attributes),
                    )
                )
    return rows


def _metric_rows(
    metric: Metric, service_name: str, resource_map: dict[str, str]
) -> list[tuple[object, ...]]:
    kind = metric.WhichOneof("data")
    rows: list[tuple[object, ...]] = []
    if kind in ("gauge", "sum"):
        points = metric.gauge.data_points if kind == "gauge" else metric.sum.data_points
        for point in points:
            value = point.as_double if point.WhichOneof("value") == "as_double" else point.as_int
            rows.append(
                (
                    point.time_unix_nano,
                    point.start_time_unix_nano,
                    service_name,
                    metric.name,
                    kind,
                    metric.unit,
                    to_string_map(point.attributes),
                    resource_map,
                    float(value),
                    0,
                    0.0,
                    None,
                    None,
                    [],
                    [],
                )
            )
    elif kind == "histogram":
        for hist in metric.histogram.data_points:
            rows.append(
                (
                    hist.time_unix_nano,
                    hist.start_time_unix_nano,
                    service_name,
                    metric.name,
                    kind,
                    metric.unit,
                    to_string_map(hist.attributes),
                    resource_map,
                    0.0,
                    hist.count,
                    hist.sum,
                    hist.min if hist.HasField("min") else None,
                    hist.max if hist.HasField("max") else None,
                    list(hist.bucket_counts),
                    list(hist.explicit_bounds),
                )
            )
    return rows


def metric_rows(request: ExportMetricsServiceRequest) -> tuple[list[tuple[object, ...]], int]:
    """genai_metrics rows for metrics named with a STORED_METRIC_PREFIXES prefix, and the count
    of other metrics (accepted and dropped: this store keeps only GenAI and council metrics)."""
    rows: list[tuple[object, ...]] = []
    ignored = 0
    for resource_metrics in request.resource_metrics:
        resource_map = to_string_map(resource_metrics.resource.attributes)
        service_name = resource_map.get("service.name", "")
        for scope_metrics in resource_metrics.scope_metrics:
            for metric in scope_metrics.metrics:
                if metric.name.startswith(STORED_METRIC_PREFIXES):
                    rows.extend(_metric_rows(metric, service_name, resource_map))
                else:
                    ignored += 1
    return rows, ignored
