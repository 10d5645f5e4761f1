-- Hourly selection share per tier (dashboards). share is the resolved model's part of
-- the tier's selections in the hour, computed separately for Pareto seats
-- (seat_kind 'pareto') and named seats (seat_kind 'named').
CREATE VIEW IF NOT EXISTS v_selection_share_1h AS
SELECT
    bucket,
    tier,
    seat_kind,
    pareto_band,
    requested_model,
    resolved_model,
    selections,
    selections / sum(selections) OVER (PARTITION BY bucket, tier, seat_kind) AS share
FROM
(
    SELECT
        bucket,
        tier,
        if(startsWith(requested_model, 'openrouter/pareto-code'), 'pareto', 'named') AS seat_kind,
        pareto_band,
        requested_model,
        resolved_model,
        sum(selections) AS selections
    FROM selection_rollup_1h
    GROUP BY bucket, tier, seat_kind, pareto_band, requested_model, resolved_model
)
