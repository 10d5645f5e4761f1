-- Feeds selection_rollup_1h from each block inserted into seat_selections.
CREATE MATERIALIZED VIEW IF NOT EXISTS selection_rollup_1h_mv TO selection_rollup_1h AS
SELECT
    toStartOfHour(event_time) AS bucket,
    tier,
    pareto_band,
    requested_model,
    resolved_model,
    count() AS selections,
    countIf(duplicate_of_pool) AS duplicates,
    countIf(cost_usd IS NOT NULL) AS cost_calls,
    sum(ifNull(cost_usd, 0)) AS cost_usd_sum
FROM seat_selections
WHERE status = 'ok' AND resolved_model != ''
GROUP BY bucket, tier, pareto_band, requested_model, resolved_model
