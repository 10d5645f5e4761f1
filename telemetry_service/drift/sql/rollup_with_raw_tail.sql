-- A rollup up to the last whole bucket before `until`, then the raw table for the rest.
(
    SELECT
        toDateTime64(bucket, 6, 'UTC') AS bucket,
        tier,
        pareto_band,
        requested_model,
        resolved_model,
        selections,
        duplicates,
        cost_calls,
        cost_usd_sum
    FROM __ROLLUP__
    WHERE bucket < fromUnixTimestamp64Micro({cut_us:Int64}, 'UTC')
    UNION ALL
    SELECT *
    FROM __RAW__
    WHERE bucket >= fromUnixTimestamp64Micro({cut_us:Int64}, 'UTC')
)
