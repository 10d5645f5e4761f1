-- Successful selections straight from seat_selections, deduplicated, shaped like the rollups.
(
    SELECT
        event_time AS bucket,
        tier,
        pareto_band,
        requested_model,
        resolved_model,
        toUInt64(1) AS selections,
        toUInt64(duplicate_of_pool) AS duplicates,
        toUInt64(cost_usd IS NOT NULL) AS cost_calls,
        ifNull(cost_usd, 0) AS cost_usd_sum
    FROM seat_selections FINAL
    WHERE status = 'ok'
      AND resolved_model != ''
      AND event_time >= fromUnixTimestamp64Micro({from_us:Int64}, 'UTC')
      AND event_time < fromUnixTimestamp64Micro({until_us:Int64}, 'UTC')
)
