-- Calls, pool duplicates and cost per tier, Pareto seats apart from named seats.
SELECT
    tier,
    startsWith(requested_model, 'openrouter/pareto-code') AS is_pareto,
    sum(selections) AS calls,
    sum(duplicates) AS duplicate_calls,
    sum(cost_calls) AS costed_calls,
    sum(cost_usd_sum) AS cost_usd
FROM __SOURCE__
WHERE bucket >= fromUnixTimestamp64Micro({from_us:Int64}, 'UTC')
  AND bucket < fromUnixTimestamp64Micro({until_us:Int64}, 'UTC')
  AND tier IN {tiers:Array(String)}
GROUP BY tier, is_pareto
