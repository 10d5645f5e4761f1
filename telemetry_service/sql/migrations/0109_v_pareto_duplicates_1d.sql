-- Daily share of Pareto seat calls that resolved to a model already seated by name in
-- the same council (the seed ADR's duplicate check).
CREATE VIEW IF NOT EXISTS v_pareto_duplicates_1d AS
SELECT
    toStartOfDay(bucket) AS day,
    tier,
    sum(selections) AS calls,
    sum(duplicates) AS duplicate_calls,
    duplicate_calls / calls AS duplicate_rate
FROM selection_rollup_1h
WHERE startsWith(requested_model, 'openrouter/pareto-code')
GROUP BY day, tier
