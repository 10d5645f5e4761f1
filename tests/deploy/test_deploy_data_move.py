"""The backup and move procedures of docs/operations.md, run for real on the embedded engine:
copying a stopped data directory keeps every row, and deploy/tools/clickhouse_copy.py moves
the tables to another store whose materialised views rebuild the rollups. Each engine session
runs in its own process (chDB allows one data directory per process)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.deploy_manifests import DEPLOY, REPO

TOOL = DEPLOY / "tools" / "clickhouse_copy.py"
ROWS = 4_000

_CHILD = textwrap.dedent(
    """
    import json, sys
    import clickhouse_connect
    from telemetry_service.migrate import apply_migrations, load_migrations, plan, ttl_params

    mode, path, rows = sys.argv[1], sys.argv[2], int(sys.argv[3])
    client = clickhouse_connect.get_client(dsn="chdb://" + path)
    try:
        if mode in ("seed", "migrate"):
            apply_migrations(
                lambda sql, params: client.command(sql, parameters=params),
                lambda sql: list(client.query(sql).result_rows),
                plan(load_migrations(), ttl_params(raw_ttl_days=30, selections_ttl_days=400)),
            )
        if mode == "seed":
            from benchmarks.storage_per_million import (
                RAW_SPANS_SQL, load_tiers, selection_insert_sql)
            client.command(selection_insert_sql(rows, load_tiers()))
            client.command(RAW_SPANS_SQL)
        one = lambda sql: client.query(sql).result_rows[0][0]
        print(json.dumps({
            "seat_selections": one("SELECT count() FROM seat_selections"),
            "otel_traces": one("SELECT count() FROM otel_traces"),
            "cost_usd": round(one("SELECT sum(ifNull(cost_usd, 0)) FROM seat_selections"), 6),
            "rollup_1m": one("SELECT sum(selections) FROM selection_rollup_1m"),
            "rollup_1h": one("SELECT sum(selections) FROM selection_rollup_1h"),
        }))
    finally:
        client.close()
    """
)


def run_child(mode: str, path: Path) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, mode, str(path), str(ROWS)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert isinstance(result, dict)
    return result


def run_tool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(TOOL), *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    path = tmp_path_factory.mktemp("source") / "clickhouse"
    return path, run_child("seed", path)


def test_seeded_store_has_selections_raw_spans_and_rollups(
    source: tuple[Path, dict[str, Any]],
) -> None:
    _path, counts = source
    assert counts["seat_selections"] == ROWS
    assert counts["otel_traces"] == ROWS
    # Rollups count successful selections only.
    assert 0 < counts["rollup_1m"] == counts["rollup_1h"] < ROWS


def test_tar_of_a_stopped_data_directory_restores_every_row(
    source: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    # The backup command of docs/operations.md: tar keeps the engine's relative symlinks.
    path, counts = source
    archive = tmp_path / "telemetry-backup.tar.gz"
    subprocess.run(["tar", "-C", str(path), "-czf", str(archive), "."], check=True, timeout=120)
    restored = tmp_path / "restored"
    restored.mkdir()
    subprocess.run(["tar", "-C", str(restored), "-xzf", str(archive)], check=True, timeout=120)
    assert run_child("counts", restored) == counts


def test_copy_that_keeps_symlinks_restores_every_row(
    source: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    path, counts = source
    restored = tmp_path / "restored"
    shutil.copytree(path, restored, symlinks=True)  # what `cp -a` does
    assert run_child("counts", restored) == counts


def test_copy_that_follows_symlinks_loses_the_tables(
    source: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    # Why docs/operations.md insists on `cp -a`/tar: metadata/<db> is a symlink into store/,
    # and a plain recursive copy turns it into a directory the engine does not recognise.
    path, _counts = source
    restored = tmp_path / "restored"
    shutil.copytree(path, restored, symlinks=False)
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, "counts", str(restored), "0"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode != 0
    assert "UNKNOWN_TABLE" in done.stderr


def test_export_then_import_moves_the_data_and_rebuilds_rollups(
    source: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    path, counts = source
    export_dir = tmp_path / "export"
    exported = run_tool("export", "--from", f"chdb://{path}", "--to-dir", str(export_dir))
    assert exported.returncode == 0, exported.stderr
    tables = json.loads(exported.stdout)
    assert tables["seat_selections"] == ROWS
    assert "selection_rollup_1m" not in tables and "schema_migrations" not in tables

    target = tmp_path / "target"
    assert run_child("migrate", target)["seat_selections"] == 0
    imported = run_tool("import", "--from-dir", str(export_dir), "--to", f"chdb://{target}")
    assert imported.returncode == 0, imported.stderr
    assert json.loads(imported.stdout) == tables
    assert run_child("counts", target) == counts

    again = run_tool("import", "--from-dir", str(export_dir), "--to", f"chdb://{target}")
    assert again.returncode == 1
    assert "already has" in again.stderr


def test_import_into_an_unmigrated_store_says_to_migrate_first(
    source: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    path, _counts = source
    export_dir = tmp_path / "export"
    exported = run_tool("export", "--from", f"chdb://{path}", "--to-dir", str(export_dir))
    assert exported.returncode == 0, exported.stderr
    result = run_tool(
        "import", "--from-dir", str(export_dir), "--to", f"chdb://{tmp_path / 'empty'}"
    )
    assert result.returncode == 1
    assert "telemetry-service migrate" in result.stderr


def test_tables_to_copy_skips_views_their_targets_and_the_migrations_table() -> None:
    sys.path.insert(0, str(TOOL.parent))
    try:
        from clickhouse_copy import tables_to_copy
    finally:
        sys.path.remove(str(TOOL.parent))
    rows = [
        ("seat_selections", "ReplacingMergeTree", "CREATE TABLE db.seat_selections ..."),
        ("rollup", "SummingMergeTree", "CREATE TABLE db.rollup ..."),
        ("rollup_mv", "MaterializedView", "CREATE MATERIALIZED VIEW db.rollup_mv TO db.rollup AS"),
        ("v_share", "View", "CREATE VIEW db.v_share AS SELECT 1"),
        ("schema_migrations", "ReplacingMergeTree", "CREATE TABLE db.schema_migrations ..."),
        ("otel_traces", "MergeTree", "CREATE TABLE db.otel_traces ..."),
    ]
    assert tables_to_copy(rows) == ["otel_traces", "seat_selections"]
