-- One row per model per snapshot of OpenRouter's GET /models catalog, taken by the
-- catalog poller. Prices are USD per token (as OpenRouter publishes them);
-- blended_price_usd weights prompt:completion 3:1, the usual input-heavy mix.
-- on_frontier / frontier_rank: the model sat on the quality (coding_index) vs
-- blended price Pareto frontier of that snapshot; rank 1 is the cheapest frontier model.
CREATE TABLE IF NOT EXISTS model_catalog_snapshots
(
    snapshot_time DateTime64(3, 'UTC'),
    source LowCardinality(String),
    model_id LowCardinality(String),
    name String,
    context_length UInt32,
    prompt_price_usd Float64,
    completion_price_usd Float64,
    blended_price_usd Float64,
    coding_index Nullable(Float64),
    on_frontier Bool,
    frontier_rank UInt16,
    inserted_at DateTime64(6, 'UTC') DEFAULT now64(6)
)
ENGINE = ReplacingMergeTree(inserted_at)
PARTITION BY toYYYYMM(snapshot_time)
ORDER BY (snapshot_time, model_id)
