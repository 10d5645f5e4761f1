-- Distinct council sessions with a successful Pareto seat call, per tier.
SELECT tier, uniq(session_id) AS sessions
FROM seat_selections
WHERE event_time >= fromUnixTimestamp64Micro({from_us:Int64}, 'UTC')
  AND event_time < fromUnixTimestamp64Micro({until_us:Int64}, 'UTC')
  AND tier IN {tiers:Array(String)}
  AND startsWith(requested_model, 'openrouter/pareto-code')
  AND status = 'ok'
  AND session_id != ''
GROUP BY tier
