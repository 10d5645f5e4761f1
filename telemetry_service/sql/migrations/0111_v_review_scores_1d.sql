-- Daily peer-review scores per tier, Pareto seat against named seats, with a 95%
-- confidence interval of the mean (normal approximation, 1.96 standard errors).
-- FINAL collapses retried exports.
CREATE VIEW IF NOT EXISTS v_review_scores_1d AS
SELECT
    toStartOfDay(event_time) AS day,
    tier,
    if(startsWith(requested_model, 'openrouter/pareto-code'), 'pareto', 'named') AS seat_kind,
    count() AS reviews,
    avg(score) AS mean_score,
    if(reviews < 2, 0, 1.96 * stddevSamp(score) / sqrt(reviews)) AS ci_half_width
FROM seat_reviews FINAL
WHERE score IS NOT NULL AND requested_model != ''
GROUP BY day, tier, seat_kind
