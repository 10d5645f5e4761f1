-- One row per `gen_ai.evaluation.result` span event (a council peer review). NULL score,
-- rank or borda_points: the sender did not give one. Retries collapse under FINAL.
-- shard_key: cityHash64(trace_id)
CREATE TABLE IF NOT EXISTS seat_reviews (
    event_time DateTime64(6, 'UTC') CODEC(Delta, ZSTD(1)),
    trace_id String CODEC(ZSTD(1)),
    span_id String CODEC(ZSTD(1)),
    session_id String CODEC(ZSTD(1)),
    seat_id String CODEC(ZSTD(1)),
    generation_id String CODEC(ZSTD(1)),
    tier LowCardinality(String) CODEC(ZSTD(1)),
    requested_model LowCardinality(String) CODEC(ZSTD(1)),
    resolved_model LowCardinality(String) CODEC(ZSTD(1)),
    reviewer LowCardinality(String) CODEC(ZSTD(1)),
    score Nullable(Float64),
    rank Nullable(UInt16),
    borda_points Nullable(Float64),
    inserted_at DateTime64(6, 'UTC') DEFAULT now64(6) CODEC(Delta, ZSTD(1))
) ENGINE = ReplacingMergeTree(inserted_at)
PARTITION BY toYYYYMM(event_time)
ORDER BY (tier, event_time, trace_id, span_id, reviewer, seat_id)
TTL toDateTime(event_time) + toIntervalDay(${SELECTIONS_TTL_DAYS})
