#!/usr/bin/env python3
"""Copy the telemetry tables between ClickHouse stores, e.g. from the embedded engine to a server.

    # 1. stop telemetry-service (the embedded engine allows one process per data directory)
    python deploy/tools/clickhouse_copy.py export \
        --from chdb:///var/lib/telemetry/clickhouse --to-dir ./telemetry-export
    # 2. create the schema on the target (CLICKHOUSE_URL=http://... telemetry-service migrate)
    python deploy/tools/clickhouse_copy.py import \
        --from-dir ./telemetry-export --to 'http://user:pass@clickhouse:8123/llmcouncil'

Export writes one ClickHouse Native file per table partition plus manifest.json (row counts).
It skips what the target rebuilds by itself: views, the targets of materialised views (the
rollups are refilled by the target's own views as the source rows are inserted) and
schema_migrations (the target records its own). Import refuses a target table that already
holds rows (unless --allow-nonempty) and checks the row counts afterwards.

Both ends go through clickhouse-connect, so any `chdb:///path` or `http(s)://` URL works.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

log = logging.getLogger("clickhouse_copy")

MANIFEST = "manifest.json"
SKIP_TABLES = frozenset({"schema_migrations"})
_TO_CLAUSE = re.compile(r"\bTO\s+`?(?:[\w]+`?\.`?)?([\w]+)`?", re.IGNORECASE)
_SAFE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class CopyError(RuntimeError):
    """The copy cannot go on; the message says what to do."""


def tables_to_copy(tables: Sequence[tuple[str, str, str]]) -> list[str]:
    """From (name, engine, create_table_query) rows: the base tables, in name order (pure)."""
    view_targets = set()
    for _name, engine, create in tables:
        if engine == "MaterializedView":
            match = _TO_CLAUSE.search(create)
            if match:
                view_targets.add(match.group(1))
    return sorted(
        name
        for name, engine, _create in tables
        if "MergeTree" in engine and name not in view_targets and name not in SKIP_TABLES
    )


def _quoted(name: str) -> str:
    if not _SAFE_NAME.match(name):
        raise CopyError(f"unexpected table or partition name {name!r}")
    return f"`{name}`"


def _open(url: str) -> Any:
    import clickhouse_connect

    return clickhouse_connect.get_client(dsn=url)


def _list_tables(client: Any) -> list[tuple[str, str, str]]:
    rows = client.query(
        "SELECT name, engine, create_table_query FROM system.tables "
        "WHERE database = currentDatabase()"
    ).result_rows
    return [(str(r[0]), str(r[1]), str(r[2])) for r in rows]


def export(url: str, out_dir: Path) -> dict[str, int]:
    out_dir.mkdir(parents=True, exist_ok=True)
    if (out_dir / MANIFEST).exists():
        raise CopyError(f"{out_dir} already holds an export; use an empty directory")
    client = _open(url)
    manifest: dict[str, Any] = {"tables": {}}
    try:
        for table in tables_to_copy(_list_tables(client)):
            partitions = [
                str(r[0])
                for r in client.query(
                    "SELECT DISTINCT partition_id FROM system.parts WHERE active "
                    "AND database = currentDatabase() AND table = %(t)s ORDER BY partition_id",
                    parameters={"t": table},
                ).result_rows
            ]
            files = []
            for partition in partitions:
                # One partition at a time bounds memory to one month (or day) of a table.
                data = client.raw_query(
                    f"SELECT * FROM {_quoted(table)} WHERE _partition_id = %(p)s",
                    parameters={"p": partition},
                    fmt="Native",
                )
                name = f"{table}.{partition}.native"
                (out_dir / name).write_bytes(data)
                files.append(name)
            rows = int(client.command(f"SELECT count() FROM {_quoted(table)}"))
            manifest["tables"][table] = {"rows": rows, "files": files}
            log.info("exported %s: %d rows in %d file(s)", table, rows, len(files))
    finally:
        client.close()
    (out_dir / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return {t: int(v["rows"]) for t, v in manifest["tables"].items()}


def import_(in_dir: Path, url: str, allow_nonempty: bool = False) -> dict[str, int]:
    try:
        manifest = json.loads((in_dir / MANIFEST).read_text())
    except OSError as exc:
        raise CopyError(f"{in_dir / MANIFEST}: {exc.strerror}") from None
    client = _open(url)
    counts: dict[str, int] = {}
    try:
        present = {name for name, _engine, _create in _list_tables(client)}
        missing = sorted(set(manifest["tables"]) - present)
        if missing:
            raise CopyError(
                f"target lacks tables {missing}: run `telemetry-service migrate` against it first"
            )
        for table, entry in manifest["tables"].items():
            before = int(client.command(f"SELECT count() FROM {_quoted(table)}"))
            if before and not allow_nonempty:
                raise CopyError(
                    f"target table {table} already has {before} rows (--allow-nonempty to add)"
                )
            for name in entry["files"]:
                client.raw_insert(table, insert_block=(in_dir / name).read_bytes(), fmt="Native")
            after = int(client.command(f"SELECT count() FROM {_quoted(table)}"))
            if after - before != int(entry["rows"]):
                raise CopyError(
                    f"{table}: expected {entry['rows']} new rows, the target has {after - before}"
                )
            counts[table] = after - before
            log.info("imported %s: %d rows", table, counts[table])
    finally:
        client.close()
    return counts


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="clickhouse_copy", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    exp = sub.add_parser("export", help="write the tables of a store to Native files")
    exp.add_argument("--from", dest="source", required=True, help="chdb:///path or http(s) URL")
    exp.add_argument("--to-dir", type=Path, required=True, help="empty or missing directory")
    imp = sub.add_parser("import", help="insert an export into a migrated store")
    imp.add_argument("--from-dir", type=Path, required=True, help="directory of an export")
    imp.add_argument("--to", dest="target", required=True, help="chdb:///path or http(s) URL")
    imp.add_argument("--allow-nonempty", action="store_true", help="add to tables with rows")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        if args.command == "export":
            counts = export(args.source, args.to_dir)
        else:
            counts = import_(args.from_dir, args.target, args.allow_nonempty)
    except CopyError as exc:
        sys.stderr.write(f"clickhouse_copy: {exc}\n")
        return 1
    sys.stdout.write(json.dumps(counts, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
