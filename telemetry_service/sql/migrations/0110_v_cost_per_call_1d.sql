-- Daily mean cost per call (USD) per tier and seat kind, over calls with a reported cost.
CREATE VIEW IF NOT EXISTS v_cost_per_call_1d AS
SELECT
    toStartOfDay(bucket) AS day,
    tier,
    if(startsWith(requested_model, 'openrouter/pareto-code'), 'pareto', 'named') AS seat_kind,
    sum(cost_calls) AS calls,
    sum(cost_usd_sum) AS cost_usd,
    if(calls = 0, 0, cost_usd / calls) AS mean_cost_usd
FROM selection_rollup_1h
GROUP BY day, tier, seat_kind
