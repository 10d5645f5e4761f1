-- Which migrations this node has applied. Local to the node in cluster mode too: each node
-- records what it ran (the ON CLUSTER DDL itself is idempotent).
CREATE TABLE IF NOT EXISTS schema_migrations (
    version UInt32,
    name String,
    checksum String,
    applied_at DateTime64(3, 'UTC') DEFAULT now64(3)
) ENGINE = ReplacingMergeTree(applied_at)
ORDER BY version
