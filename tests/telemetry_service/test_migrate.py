"""Migrations: apply on a temp engine, idempotent re-run, cluster DDL (pure)."""

from __future__ import annotations

from pathlib import Path

import pytest

from telemetry_service import migrate
from telemetry_service.store import Store

PARAMS = migrate.ttl_params(30, 400)
OWN_TABLES = {"otel_traces", "seat_selections", "seat_reviews", "otel_logs", "genai_metrics"}


def apply(store: Store) -> list[int]:
    steps = migrate.plan(migrate.load_migrations(), PARAMS)
    return migrate.apply_migrations(
        store.command_sync, lambda sql: store.query_sync(sql).rows, steps
    )


def test_apply_creates_tables_and_records_every_version(tmp_path: Path) -> None:
    store = Store.open(f"chdb://{tmp_path}")
    try:
        applied = apply(store)
        tables = {row[0] for row in store.query_sync("SHOW TABLES").rows}
        recorded = [
            row[0] for row in store.query_sync(migrate.read_query("applied_migrations")).rows
        ]
    finally:
        store.close()
    assert tables >= OWN_TABLES
    assert applied == [m.version for m in migrate.load_migrations()]
    assert recorded == applied


def test_second_run_applies_nothing(tmp_path: Path) -> None:
    store = Store.open(f"chdb://{tmp_path}")
    try:
        apply(store)
        assert apply(store) == []
    finally:
        store.close()


def test_seat_selections_columns_match_the_contract(tmp_path: Path) -> None:
    store = Store.open(f"chdb://{tmp_path}")
    try:
        apply(store)
        described = {
            row[0]: row[1] for row in store.query_sync("DESCRIBE TABLE seat_selections").rows
        }
    finally:
        store.close()
    assert described["event_time"] == "DateTime64(6, 'UTC')"
    assert described["min_coding_score"] == "Nullable(Float64)"
    assert described["pool_models"] == "Array(LowCardinality(String))"
    assert described["attempts"] == "UInt16"
    assert described["input_tokens"] == "UInt32"
    assert "inserted_at" in described


def test_load_rejects_duplicate_versions(tmp_path: Path) -> None:
    (tmp_path / "0001_a.sql").write_text("SELECT 1")
    (tmp_path / "0001_b.sql").write_text("SELECT 2")
    with pytest.raises(migrate.MigrationError, match="duplicate"):
        migrate.load_migrations(tmp_path)


def test_statement_break_splits_a_file_and_comments_are_dropped() -> None:
    parsed = migrate.parse_migration(
        "0042_two.sql", "-- why\nSELECT 1\n-- statement-break\nSELECT 2\n"
    )
    assert parsed.statements == ("SELECT 1", "SELECT 2")


def test_unknown_placeholder_is_an_error() -> None:
    with pytest.raises(migrate.MigrationError, match="NOPE"):
        migrate.render("SELECT ${NOPE}", PARAMS)


def test_cluster_form_of_replacing_merge_tree() -> None:
    statement = (
        "CREATE TABLE IF NOT EXISTS t (a String, v UInt64) "
        "ENGINE = ReplacingMergeTree(v) ORDER BY a"
    )
    assert migrate.cluster_statements(statement, "c1", "cityHash64(a)") == [
        "CREATE TABLE IF NOT EXISTS t_local ON CLUSTER `c1` (a String, v UInt64) ENGINE = "
        "ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/t_local', "
        "'{replica}', v) ORDER BY a",
        "CREATE TABLE IF NOT EXISTS t ON CLUSTER `c1` AS t_local "
        "ENGINE = Distributed('c1', currentDatabase(), 't_local', cityHash64(a))",
    ]


def test_cluster_form_keeps_nested_engine_arguments() -> None:
    statement = "CREATE TABLE r (k String, a UInt64) ENGINE = SummingMergeTree((a)) ORDER BY k"
    local = migrate.cluster_statements(statement, "c1")[0]
    assert "ReplicatedSummingMergeTree('/clickhouse/tables/{shard}/{database}/r_local', " in local
    assert local.endswith("'{replica}', (a)) ORDER BY k")


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        pytest.param(
            "CREATE VIEW IF NOT EXISTS v AS SELECT 1",
            ["CREATE VIEW IF NOT EXISTS v ON CLUSTER `c1` AS SELECT 1"],
            id="view",
        ),
        pytest.param(
            "ALTER TABLE t ADD COLUMN x UInt8",
            [
                "ALTER TABLE t_local ON CLUSTER `c1` ADD COLUMN x UInt8",
                "ALTER TABLE t ON CLUSTER `c1` ADD COLUMN x UInt8",
            ],
            id="alter-column-both",
        ),
        pytest.param(
            "ALTER TABLE t MODIFY TTL toDateTime(a) + toIntervalDay(9)",
            ["ALTER TABLE t_local ON CLUSTER `c1` MODIFY TTL toDateTime(a) + toIntervalDay(9)"],
            id="alter-ttl-local",
        ),
        pytest.param("INSERT INTO t SELECT 1", ["INSERT INTO t SELECT 1"], id="insert-unchanged"),
    ],
)
def test_cluster_form_of_other_statements(statement: str, expected: list[str]) -> None:
    assert migrate.cluster_statements(statement, "c1") == expected


def test_materialized_view_reads_and_writes_local_tables_in_cluster_mode() -> None:
    statement = "CREATE MATERIALIZED VIEW m TO roll AS SELECT a FROM src"
    out = migrate.cluster_statements(statement, "c1", replicated_tables=frozenset({"roll", "src"}))
    assert out == [
        "CREATE MATERIALIZED VIEW m ON CLUSTER `c1` TO roll_local AS SELECT a FROM src_local"
    ]


def test_cluster_plan_is_deterministic_and_covers_every_table() -> None:
    first = migrate.plan(migrate.load_migrations(), PARAMS, "c1")
    second = migrate.plan(migrate.load_migrations(), PARAMS, "c1")
    assert first == second
    ddl = "\n".join(s for _, statements in first for s in statements)
    assert "CREATE TABLE IF NOT EXISTS seat_selections_local ON CLUSTER `c1`" in ddl
    assert "ReplicatedReplacingMergeTree(" in ddl
    assert (
        "Distributed('c1', currentDatabase(), 'seat_selections_local', cityHash64(trace_id))" in ddl
    )
