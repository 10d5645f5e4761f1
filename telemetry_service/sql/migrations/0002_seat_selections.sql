-- One row per GenAI chat span that talks to OpenRouter (docs/telemetry-attributes.md).
-- ReplacingMergeTree keyed by the span: a retried export leaves one row under FINAL; the
-- newest insert (inserted_at) wins. Drift queries filter by tier and time, so those lead the
-- sorting key. event_time is in the key, so both copies share a partition.
-- shard_key: cityHash64(trace_id)
CREATE TABLE IF NOT EXISTS seat_selections (
    event_time DateTime64(6, 'UTC') CODEC(Delta, ZSTD(1)),
    trace_id String CODEC(ZSTD(1)),
    span_id String CODEC(ZSTD(1)),
    service_name LowCardinality(String) CODEC(ZSTD(1)),
    session_id String CODEC(ZSTD(1)),
    seat_id String CODEC(ZSTD(1)),
    tier LowCardinality(String) CODEC(ZSTD(1)),
    requested_model LowCardinality(String) CODEC(ZSTD(1)),
    resolved_model LowCardinality(String) CODEC(ZSTD(1)),
    provider LowCardinality(String) CODEC(ZSTD(1)),
    generation_id String CODEC(ZSTD(1)),
    pareto_applied Bool,
    min_coding_score Nullable(Float64),
    pareto_band LowCardinality(String) CODEC(ZSTD(1)),
    nitro Bool,
    pool_models Array(LowCardinality(String)) CODEC(ZSTD(1)),
    duplicate_of_pool Bool,
    status LowCardinality(String) CODEC(ZSTD(1)),
    error_type LowCardinality(String) CODEC(ZSTD(1)),
    attempts UInt16,
    latency_ms Float64 CODEC(ZSTD(1)),
    ttft_ms Nullable(Float64),
    streaming Bool,
    finish_reason LowCardinality(String) CODEC(ZSTD(1)),
    input_tokens UInt32 CODEC(ZSTD(1)),
    output_tokens UInt32 CODEC(ZSTD(1)),
    reasoning_tokens UInt32 CODEC(ZSTD(1)),
    cached_tokens UInt32 CODEC(ZSTD(1)),
    cost_usd Nullable(Float64),
    routing_strategy LowCardinality(String) CODEC(ZSTD(1)),
    routing_attempt UInt16,
    inserted_at DateTime64(6, 'UTC') DEFAULT now64(6) CODEC(Delta, ZSTD(1)),
    INDEX idx_session_id session_id TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_resolved_model resolved_model TYPE set(256) GRANULARITY 1
) ENGINE = ReplacingMergeTree(inserted_at)
PARTITION BY toYYYYMM(event_time)
ORDER BY (tier, requested_model, event_time, trace_id, span_id)
TTL toDateTime(event_time) + toIntervalDay(${SELECTIONS_TTL_DAYS})
