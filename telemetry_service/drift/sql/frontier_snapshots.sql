-- Frontier members of the snapshots in the range, plus the last one before it (the baseline).
SELECT toUnixTimestamp64Milli(snapshot_time) AS snapshot_ms, model_id
FROM model_catalog_snapshots FINAL
WHERE on_frontier
  AND snapshot_time < fromUnixTimestamp64Micro({until_us:Int64}, 'UTC')
  AND snapshot_time >= (
      SELECT max(snapshot_time)
      FROM model_catalog_snapshots
      WHERE on_frontier AND snapshot_time <= fromUnixTimestamp64Micro({from_us:Int64}, 'UTC')
  )
ORDER BY snapshot_ms, frontier_rank, model_id
