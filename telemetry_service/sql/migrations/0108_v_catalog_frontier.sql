-- The quality/cost Pareto frontier of every catalog snapshot, cheapest first.
CREATE VIEW IF NOT EXISTS v_catalog_frontier AS
SELECT
    snapshot_time,
    frontier_rank,
    model_id,
    blended_price_usd,
    prompt_price_usd,
    completion_price_usd,
    coding_index,
    context_length
FROM model_catalog_snapshots FINAL
WHERE on_frontier
ORDER BY snapshot_time, frontier_rank
