"""Numbered SQL migrations: load (pure), derive cluster DDL (pure), apply and record (I/O).

Files are `sql/migrations/NNNN_name.sql`, applied in version order. A file holds one
statement, or several separated by a line `-- statement-break`. Placeholders `${NAME}` are
filled from an allow-list of integer settings (the TTLs). A comment line
`-- shard_key: EXPR` sets the Distributed sharding key of the file's tables in cluster mode
(default rand()).
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import re
from collections.abc import Callable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

STATEMENT_BREAK = "-- statement-break"
_FILE_RE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
_PLACEHOLDER_RE = re.compile(r"\$\{([A-Z_]+)\}")
_SHARD_KEY_RE = re.compile(r"^--\s*shard_key:\s*(.+?)\s*$", re.MULTILINE)
_CREATE_TABLE_RE = re.compile(
    r"^\s*CREATE\s+TABLE\s+(IF\s+NOT\s+EXISTS\s+)?([A-Za-z_][\w.]*)\s*(\(.*)$",
    re.IGNORECASE | re.DOTALL,
)
_ENGINE_RE = re.compile(r"ENGINE\s*=\s*(\w*MergeTree)\b", re.IGNORECASE)
_OBJECT_RE = re.compile(
    r"^(\s*(?:CREATE|ALTER|DROP|RENAME)\s+(?:OR\s+REPLACE\s+)?"
    r"(?:MATERIALIZED\s+VIEW|VIEW|TABLE|DICTIONARY)\s+(?:IF\s+(?:NOT\s+)?EXISTS\s+)?)"
    r"([A-Za-z_][\w.]*)",
    re.IGNORECASE,
)
_ALTER_COLUMN_RE = re.compile(r"\b(ADD|DROP|MODIFY|RENAME|COMMENT)\s+COLUMN\b", re.IGNORECASE)


class MigrationError(ValueError):
    """A migration file is malformed (bad name, duplicate version, unknown placeholder)."""


@dataclasses.dataclass(frozen=True)
class Migration:
    version: int
    name: str
    statements: tuple[str, ...]
    shard_key: str
    checksum: str


def migrations_dir() -> Path:
    return Path(str(resources.files("telemetry_service") / "sql" / "migrations"))


def read_query(name: str) -> str:
    """A statement from sql/queries/, without its comment lines."""
    text = (resources.files("telemetry_service") / "sql" / "queries" / f"{name}.sql").read_text()
    return _strip_comments(text)


def _strip_comments(text: str) -> str:
    lines = [line for line in text.splitlines() if not line.strip().startswith("--")]
    return "\n".join(lines).strip().rstrip(";").strip()


def parse_migration(file_name: str, text: str) -> Migration:
    match = _FILE_RE.match(file_name)
    if match is None:
        raise MigrationError(f"{file_name}: migration files are named NNNN_name.sql")
    shard = _SHARD_KEY_RE.search(text)
    parts = [_strip_comments(part) for part in text.split(STATEMENT_BREAK)]
    statements = tuple(part for part in parts if part)
    if not statements:
        raise MigrationError(f"{file_name}: no statement")
    return Migration(
        version=int(match.group(1)),
        name=match.group(2),
        statements=statements,
        shard_key=shard.group(1) if shard else "rand()",
        checksum=hashlib.sha256(text.encode()).hexdigest()[:16],
    )


def load_migrations(directory: Path | None = None) -> list[Migration]:
    """Every migration in version order; duplicate versions are an error."""
    folder = directory or migrations_dir()
    found = [
        parse_migration(path.name, path.read_text())
        for path in sorted(folder.glob("*.sql"))
        if _FILE_RE.match(path.name)
    ]
    versions = [m.version for m in found]
    duplicates = sorted({v for v in versions if versions.count(v) > 1})
    if duplicates:
        raise MigrationError(f"duplicate migration versions: {duplicates}")
    return sorted(found, key=lambda m: m.version)


def render(statement: str, params: Mapping[str, int]) -> str:
    """Fill `${NAME}` placeholders; only integer values from `params` are allowed."""

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in params:
            raise MigrationError(f"unknown placeholder ${{{name}}}")
        return str(int(params[name]))

    return _PLACEHOLDER_RE.sub(fill, statement)


def _engine_span(body: str) -> tuple[int, int, str, str] | None:
    """(start, end, engine name, argument text) of a MergeTree-family ENGINE clause.

    Arguments may nest parentheses (e.g. SummingMergeTree((a, b))), so they are matched by
    counting parentheses rather than by a regular expression.
    """
    match = _ENGINE_RE.search(body)
    if match is None:
        return None
    end = match.end()
    rest = body[end:]
    stripped = rest.lstrip()
    if not stripped.startswith("("):
        return match.start(), end, match.group(1), ""
    open_at = end + (len(rest) - len(stripped))
    depth = 0
    for index in range(open_at, len(body)):
        if body[index] == "(":
            depth += 1
        elif body[index] == ")":
            depth -= 1
            if depth == 0:
                return match.start(), index + 1, match.group(1), body[open_at + 1 : index]
    raise MigrationError("unbalanced parentheses in ENGINE clause")


def _to_local_refs(statement: str, tables: frozenset[str]) -> str:
    """Point FROM/TO/JOIN references at `<table>_local` (materialised views must read the
    local table: they fire on inserts into their source, which are the local inserts)."""
    for table in sorted(tables):
        statement = re.sub(
            rf"\b(FROM|TO|JOIN)(\s+){re.escape(table)}\b(?!_local)",
            rf"\1\2{table}_local",
            statement,
            flags=re.IGNORECASE,
        )
    return statement


def cluster_statements(
    statement: str,
    cluster: str,
    shard_key: str = "rand()",
    replicated_tables: frozenset[str] = frozenset(),
) -> list[str]:
    """The cluster form of one single-node statement (deterministic, no I/O).

    A MergeTree-family CREATE TABLE t becomes a Replicated* `t_local` ON CLUSTER plus a
    Distributed `t` over it, so readers and writers keep using `t`. ALTER of such a table
    goes to `t_local` (and to `t` too for column changes). A materialised view reads from and
    writes to the `_local` tables of `replicated_tables`. Other DDL gets ON CLUSTER; data
    statements (INSERT) are left as they are.
    """
    on_cluster = f"ON CLUSTER `{cluster}`"
    create = _CREATE_TABLE_RE.match(statement)
    engine = _engine_span(create.group(3)) if create else None
    if create and engine:
        if_not_exists, table, body = create.group(1) or "", create.group(2), create.group(3)
        local = f"{table}_local"
        start, end, name, arguments = engine
        args = [f"'/clickhouse/tables/{{shard}}/{{database}}/{local}'", "'{replica}'"]
        if arguments.strip():
            args.append(arguments.strip())
        body = f"{body[:start]}ENGINE = Replicated{name}({', '.join(args)}){body[end:]}"
        return [
            f"CREATE TABLE {if_not_exists}{local} {on_cluster} {body}",
            f"CREATE TABLE {if_not_exists}{table} {on_cluster} AS {local} "
            f"ENGINE = Distributed('{cluster}', currentDatabase(), '{local}', {shard_key})",
        ]
    obj = _OBJECT_RE.match(statement)
    if obj is None:
        return [statement]
    head, name, rest = obj.group(1), obj.group(2), statement[obj.end() :]
    upper_head = head.upper()
    if upper_head.lstrip().startswith("ALTER") and " TABLE" in upper_head:
        local = f"{head}{name}_local {on_cluster}{rest}"
        if _ALTER_COLUMN_RE.search(rest):
            return [local, f"{head}{name} {on_cluster}{rest}"]
        return [local]
    if "MATERIALIZED" in upper_head:
        rest = _to_local_refs(rest, replicated_tables)
    return [f"{head}{name} {on_cluster}{rest}"]


def plan(
    migrations: list[Migration], params: Mapping[str, int], cluster: str = ""
) -> list[tuple[Migration, list[str]]]:
    """The statements to run per migration, rendered, in the cluster form when asked."""
    steps = []
    replicated: set[str] = set()
    for migration in migrations:
        statements: list[str] = []
        for statement in migration.statements:
            rendered = render(statement, params)
            if not cluster:
                statements.append(rendered)
                continue
            create = _CREATE_TABLE_RE.match(rendered)
            if create and _engine_span(create.group(3)):
                replicated.add(create.group(2))
            statements.extend(
                cluster_statements(rendered, cluster, migration.shard_key, frozenset(replicated))
            )
        steps.append((migration, statements))
    return steps


def ttl_params(raw_ttl_days: int, selections_ttl_days: int) -> dict[str, int]:
    return {"RAW_TTL_DAYS": raw_ttl_days, "SELECTIONS_TTL_DAYS": selections_ttl_days}


def apply_migrations(
    command: Callable[..., Any],
    query_rows: Callable[[str], list[tuple[Any, ...]]],
    steps: list[tuple[Migration, list[str]]],
) -> list[int]:
    """Run the migrations not yet recorded in schema_migrations; returns the versions applied.

    `command(sql, parameters)` runs a statement and `query_rows(sql)` returns rows, both on
    the writer client (blocking: call from a worker thread).
    """
    command(read_query("create_schema_migrations"), None)
    applied = {int(row[0]) for row in query_rows(read_query("applied_migrations"))}
    done = []
    for migration, statements in steps:
        if migration.version in applied:
            continue
        logger.info("applying migration %04d_%s", migration.version, migration.name)
        for statement in statements:
            command(statement, None)
        command(
            read_query("record_migration"),
            {"version": migration.version, "name": migration.name, "checksum": migration.checksum},
        )
        done.append(migration.version)
    return done
