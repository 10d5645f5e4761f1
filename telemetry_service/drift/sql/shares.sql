-- Selections per window (aligned to the window length since the epoch), tier, band,
-- requested and resolved model.
SELECT
    intDiv(toUnixTimestamp(bucket), {window_s:UInt32}) * {window_s:UInt32} AS window_start,
    tier,
    pareto_band,
    requested_model,
    resolved_model,
    sum(selections) AS selections
FROM __SOURCE__
WHERE bucket >= fromUnixTimestamp64Micro({from_us:Int64}, 'UTC')
  AND bucket < fromUnixTimestamp64Micro({until_us:Int64}, 'UTC')
  AND tier IN {tiers:Array(String)}
  AND requested_model IN {requested:Array(String)}
GROUP BY window_start, tier, pareto_band, requested_model, resolved_model
ORDER BY window_start, tier, selections DESC, resolved_model
