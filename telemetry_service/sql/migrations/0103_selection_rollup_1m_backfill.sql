-- Rows stored before the view existed (migrations run before the receiver accepts data).
INSERT INTO selection_rollup_1m
SELECT
    toStartOfMinute(event_time) AS bucket,
    tier,
    pareto_band,
    requested_model,
    resolved_model,
    count() AS selections,
    countIf(duplicate_of_pool) AS duplicates,
    countIf(cost_usd IS NOT NULL) AS cost_calls,
    sum(ifNull(cost_usd, 0)) AS cost_usd_sum
FROM seat_selections FINAL
WHERE status = 'ok' AND resolved_model != ''
GROUP BY bucket, tier, pareto_band, requested_model, resolved_model
