-- Selections per tier and resolved model, each matched with the latest catalog snapshot
-- taken at or before its bucket (the constant key k makes the ASOF join global).
SELECT
    s.tier AS tier,
    s.resolved_model AS resolved_model,
    toUnixTimestamp64Milli(c.snapshot_time) AS snapshot_ms,
    sum(s.selections) AS selections
FROM
(
    SELECT toUInt8(0) AS k, toDateTime64(bucket, 3, 'UTC') AS at, tier, resolved_model, selections
    FROM __SOURCE__
    WHERE bucket >= fromUnixTimestamp64Micro({from_us:Int64}, 'UTC')
      AND bucket < fromUnixTimestamp64Micro({until_us:Int64}, 'UTC')
      AND tier IN {tiers:Array(String)}
      AND requested_model IN {requested:Array(String)}
) AS s
ASOF INNER JOIN
(
    SELECT DISTINCT toUInt8(0) AS k, snapshot_time
    FROM model_catalog_snapshots
    WHERE snapshot_time < fromUnixTimestamp64Micro({until_us:Int64}, 'UTC')
) AS c
ON s.k = c.k AND s.at >= c.snapshot_time
GROUP BY tier, resolved_model, snapshot_ms
