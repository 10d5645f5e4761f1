-- Per-hour rollup of successful selections for the drift analyses over long ranges.
-- Fed by selection_rollup_1h_mv on every insert into seat_selections.
-- Trade-off: ReplacingMergeTree dedup of seat_selections does not reach a materialised
-- view, so a span stored twice (an OTLP export retried after its rows were committed)
-- is counted twice here while seat_selections keeps it once. Shares, duplicate rates and
-- mean cost are ratios and move only when retries are uneven across models; the raw
-- table (FINAL) stays exact. Windows that are whole hours read this table.
CREATE TABLE IF NOT EXISTS selection_rollup_1h
(
    bucket DateTime('UTC'),
    tier LowCardinality(String),
    pareto_band LowCardinality(String),
    requested_model LowCardinality(String),
    resolved_model LowCardinality(String),
    selections UInt64,
    duplicates UInt64,
    cost_calls UInt64,
    cost_usd_sum Float64
)
ENGINE = SummingMergeTree((selections, duplicates, cost_calls, cost_usd_sum))
PARTITION BY toYear(bucket)
ORDER BY (tier, bucket, pareto_band, requested_model, resolved_model)
