-- Review score sums per tier, Pareto seat against named seats, for reviews that carry their
-- own tier and requested model. FINAL collapses retried exports.
SELECT
    tier,
    startsWith(requested_model, 'openrouter/pareto-code') AS is_pareto,
    count() AS reviews,
    sum(score) AS score_sum,
    sum(score * score) AS score_sq_sum
FROM seat_reviews FINAL
WHERE event_time >= fromUnixTimestamp64Micro({from_us:Int64}, 'UTC')
  AND event_time < fromUnixTimestamp64Micro({until_us:Int64}, 'UTC')
  AND score IS NOT NULL
  AND tier != ''
  AND requested_model != ''
  AND tier IN {tiers:Array(String)}
GROUP BY tier, is_pareto
