-- Reviews that lack their tier or requested model, completed from the reviewed selection
-- (matched by generation id). Same sums as reviews.sql.
SELECT
    if(r.tier != '', r.tier, s.s_tier) AS tier_eff,
    startsWith(if(r.requested_model != '', r.requested_model, s.s_requested),
        'openrouter/pareto-code') AS is_pareto,
    count() AS reviews,
    sum(r.score) AS score_sum,
    sum(r.score * r.score) AS score_sq_sum
FROM
(
    SELECT generation_id, tier, requested_model, score
    FROM seat_reviews FINAL
    WHERE event_time >= fromUnixTimestamp64Micro({from_us:Int64}, 'UTC')
      AND event_time < fromUnixTimestamp64Micro({until_us:Int64}, 'UTC')
      AND score IS NOT NULL
      AND (tier = '' OR requested_model = '')
      AND generation_id != ''
) AS r
INNER JOIN
(
    SELECT generation_id, any(tier) AS s_tier, any(requested_model) AS s_requested
    FROM seat_selections
    WHERE generation_id IN (
        SELECT generation_id
        FROM seat_reviews
        WHERE event_time >= fromUnixTimestamp64Micro({from_us:Int64}, 'UTC')
          AND event_time < fromUnixTimestamp64Micro({until_us:Int64}, 'UTC')
          AND (tier = '' OR requested_model = '')
          AND generation_id != ''
    )
    GROUP BY generation_id
) AS s
ON r.generation_id = s.generation_id
WHERE tier_eff IN {tiers:Array(String)}
  AND (r.requested_model != '' OR s.s_requested != '')
GROUP BY tier_eff, is_pareto
