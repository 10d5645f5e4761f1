-- Data points of OTLP metrics named gen_ai.* (e.g. gen_ai.client.token.usage,
-- gen_ai.client.operation.duration); other metrics are counted and dropped.
-- Gauges and sums fill Value; histograms fill Count, Sum, Min, Max and the buckets.
-- shard_key: rand()
CREATE TABLE IF NOT EXISTS genai_metrics (
    Timestamp DateTime64(9) CODEC(Delta, ZSTD(1)),
    StartTimestamp DateTime64(9) CODEC(Delta, ZSTD(1)),
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    MetricName LowCardinality(String) CODEC(ZSTD(1)),
    MetricType LowCardinality(String) CODEC(ZSTD(1)),
    Unit LowCardinality(String) CODEC(ZSTD(1)),
    Attributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    Value Float64 CODEC(ZSTD(1)),
    Count UInt64 CODEC(ZSTD(1)),
    Sum Float64 CODEC(ZSTD(1)),
    Min Nullable(Float64),
    Max Nullable(Float64),
    BucketCounts Array(UInt64) CODEC(ZSTD(1)),
    ExplicitBounds Array(Float64) CODEC(ZSTD(1))
) ENGINE = MergeTree
PARTITION BY toYYYYMM(Timestamp)
ORDER BY (MetricName, ServiceName, toDateTime(Timestamp))
TTL toDateTime(Timestamp) + toIntervalDay(${SELECTIONS_TTL_DAYS})
