"""Cluster-mode DDL (TELEMETRY_CLUSTER): derived deterministically from the one migration
tree; every cluster statement parses on the real ClickHouse parser; the single-node form
applies on the embedded engine. The engine runs in a child process because chDB allows one
data directory per process and other tests may hold theirs."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from telemetry_service.migrate import load_migrations, plan, ttl_params

CLUSTER = "council_prod"
PARAMS = ttl_params(raw_ttl_days=30, selections_ttl_days=400)
_CREATE_MERGE_TREE = re.compile(
    r"^\s*CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)\s*\(.*ENGINE\s*=\s*(\w*MergeTree)",
    re.IGNORECASE | re.DOTALL,
)


def statements(cluster: str = "") -> list[str]:
    return [s for _m, stmts in plan(load_migrations(), PARAMS, cluster) for s in stmts]


def merge_tree_tables() -> dict[str, str]:
    """table -> engine for every MergeTree-family table of the single-node schema."""
    found = {}
    for statement in statements():
        match = _CREATE_MERGE_TREE.match(statement)
        if match:
            found[match.group(1)] = match.group(2)
    return found


def test_cluster_ddl_is_the_same_every_time() -> None:
    first = plan(load_migrations(), PARAMS, CLUSTER)
    second = plan(load_migrations(), PARAMS, CLUSTER)
    assert [(m.version, s) for m, s in first] == [(m.version, s) for m, s in second]


def test_every_cluster_ddl_statement_runs_on_the_cluster() -> None:
    for statement in statements(CLUSTER):
        if statement.lstrip().upper().startswith("INSERT"):
            continue  # data backfills go through the Distributed tables
        assert f"ON CLUSTER `{CLUSTER}`" in statement, statement[:120]


def test_merge_tree_tables_become_replicated_local_tables_behind_distributed_ones() -> None:
    tables = merge_tree_tables()
    assert {"seat_selections", "otel_traces", "seat_reviews"} <= set(tables)
    ddl = "\n".join(statements(CLUSTER))
    for table, engine in tables.items():
        assert re.search(
            rf"CREATE TABLE (IF NOT EXISTS )?{table}_local ON CLUSTER "
            rf".*ENGINE = Replicated{engine}\(",
            ddl,
            re.DOTALL,
        ), table
        assert re.search(
            rf"CREATE TABLE (IF NOT EXISTS )?{table} ON CLUSTER `{CLUSTER}` AS {table}_local "
            rf"ENGINE = Distributed\('{CLUSTER}', currentDatabase\(\), '{table}_local', ",
            ddl,
        ), table


def test_selections_and_raw_spans_shard_by_trace_id() -> None:
    # One trace's spans on one shard, as the collector's loadbalancing exporter keys them.
    ddl = "\n".join(statements(CLUSTER))
    assert "'seat_selections_local', cityHash64(trace_id))" in ddl
    assert "'otel_traces_local', cityHash64(TraceId))" in ddl


_CHILD = textwrap.dedent(
    """
    import json, sys
    import clickhouse_connect
    from telemetry_service.migrate import apply_migrations, load_migrations, plan, ttl_params

    path, cluster = sys.argv[1], sys.argv[2]
    params = ttl_params(raw_ttl_days=30, selections_ttl_days=400)
    client = clickhouse_connect.get_client(dsn="chdb://" + path)
    try:
        def command(sql, parameters):
            client.command(sql, parameters=parameters)

        def rows(sql):
            return list(client.query(sql).result_rows)

        steps = plan(load_migrations(), params)
        first = apply_migrations(command, rows, steps)
        second = apply_migrations(command, rows, steps)
        tables = sorted(r[0] for r in rows(
            "SELECT name FROM system.tables WHERE database = currentDatabase()"))
        unparsable = []
        for _m, stmts in plan(load_migrations(), params, cluster):
            for statement in stmts:
                try:
                    # formatQuery parses without executing (no cluster exists here).
                    client.query("SELECT formatQuery(%(q)s)", parameters={"q": statement})
                except Exception as exc:
                    unparsable.append([statement[:200], str(exc)[:300]])
        try:
            client.query("SELECT formatQuery(%(q)s)", parameters={"q": "CREATE TABLE t ON ("})
            probe_rejected = False
        except Exception:
            probe_rejected = True
    finally:
        client.close()
    print(json.dumps({"first": first, "second": second, "tables": tables,
                      "unparsable": unparsable, "probe_rejected": probe_rejected}))
    """
)


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    path = Path(tmp_path_factory.mktemp("chdb")) / "db"
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path), CLUSTER],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert isinstance(result, dict)
    return result


def test_single_node_migrations_apply_on_the_embedded_engine(embedded: dict[str, Any]) -> None:
    assert embedded["first"] == [m.version for m in load_migrations()]
    assert {"seat_selections", "otel_traces", "schema_migrations"} <= set(embedded["tables"])


def test_applying_migrations_again_does_nothing(embedded: dict[str, Any]) -> None:
    assert embedded["second"] == []


def test_every_cluster_statement_parses_on_the_clickhouse_parser(
    embedded: dict[str, Any],
) -> None:
    assert embedded["unparsable"] == []
    # The check has teeth: a malformed statement is rejected by the same call.
    assert embedded["probe_rejected"] is True


def print_ddl(*args: str, env: dict[str, str] | None = None) -> str:
    base = {k: v for k, v in os.environ.items() if k != "TELEMETRY_CLUSTER"}
    done = subprocess.run(
        [sys.executable, "-m", "telemetry_service", "migrate", "--print", *args],
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_migrate_print_gives_the_same_cluster_ddl_from_flag_or_variable() -> None:
    # The reviewable form an operator runs before pointing TELEMETRY_CLUSTER at a cluster.
    from_flag = print_ddl("--cluster", CLUSTER)
    assert from_flag == print_ddl("--cluster", CLUSTER)
    assert from_flag == print_ddl(env={"TELEMETRY_CLUSTER": CLUSTER})
    assert f"ON CLUSTER `{CLUSTER}`" in from_flag
    assert "ON CLUSTER" not in print_ddl()
