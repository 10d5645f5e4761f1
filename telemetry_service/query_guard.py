"""Pure pre-checks of a read-only SQL statement, before the engine's own readonly=2 check.

The engine refuses writes and DDL itself; these checks add what readonly=2 allows but the
query service must not: several statements, SETTINGS overrides of the server's limits,
table functions that reach files, the network or other databases, and INTO OUTFILE.
"""

from __future__ import annotations

import dataclasses
import re

MAX_SQL_CHARS = 100_000
READ_KEYWORDS = frozenset({"SELECT", "WITH", "SHOW", "DESCRIBE", "DESC", "EXPLAIN", "EXISTS"})
# Table functions that read outside the store (files, URLs, object stores, other servers).
FORBIDDEN_FUNCTIONS = (
    "file",
    "fileCluster",
    "url",
    "urlCluster",
    "s3",
    "s3Cluster",
    "gcs",
    "azureBlobStorage",
    "azureBlobStorageCluster",
    "hdfs",
    "hdfsCluster",
    "remote",
    "remoteSecure",
    "cluster",
    "clusterAllReplicas",
    "mysql",
    "postgresql",
    "mongodb",
    "redis",
    "sqlite",
    "odbc",
    "jdbc",
    "executable",
    "input",
    "iceberg",
    "icebergS3",
    "deltaLake",
    "hudi",
    "python",
    "arrowFlight",
)
_FORBIDDEN_RE = re.compile(
    r"(?<![.\w])(" + "|".join(FORBIDDEN_FUNCTIONS) + r")\s*\(", re.IGNORECASE
)
_SETTINGS_RE = re.compile(r"(?<![.\w])SETTINGS\s+\w+\s*=", re.IGNORECASE)
_OUTFILE_RE = re.compile(r"\bINTO\s+OUTFILE\b", re.IGNORECASE)
_FIRST_WORD_RE = re.compile(r"\s*\(*\s*([A-Za-z]+)")
# String literals, quoted identifiers and comments; replaced before the keyword checks so a
# ';' or 'SETTINGS' inside them does not count.
_OPAQUE_RE = re.compile(
    r"'(?:[^'\\]|\\.|'')*'|\"(?:[^\"\\]|\\.)*\"|`(?:[^`\\]|\\.)*`|--[^\n]*|#[^\n]*|/\*.*?\*/",
    re.DOTALL,
)


@dataclasses.dataclass(frozen=True)
class GuardRefusal:
    """Why a statement is refused: `invalid` (INVALID_ARGUMENT) or not read-only
    (PERMISSION_DENIED)."""

    invalid: bool
    message: str


def blank_opaque(sql: str) -> str:
    """The statement with literals, quoted names and comments replaced by spaces."""
    return _OPAQUE_RE.sub(lambda m: " " * len(m.group(0)), sql)


def check_statement(sql: str) -> GuardRefusal | None:
    """None when the statement may go to the engine, else the refusal."""
    if not sql.strip():
        return GuardRefusal(True, "sql is empty")
    if len(sql) > MAX_SQL_CHARS:
        return GuardRefusal(True, f"sql is longer than {MAX_SQL_CHARS} characters")
    code = blank_opaque(sql).rstrip()
    if code.endswith(";"):
        code = code[:-1]
    if ";" in code:
        return GuardRefusal(False, "only one statement is allowed")
    first = _FIRST_WORD_RE.match(code)
    if first is None or first.group(1).upper() not in READ_KEYWORDS:
        word = first.group(1).upper() if first else "?"
        return GuardRefusal(False, f"{word} is not a read-only statement")
    if _SETTINGS_RE.search(code):
        return GuardRefusal(False, "SETTINGS overrides are not allowed")
    if _OUTFILE_RE.search(code):
        return GuardRefusal(False, "INTO OUTFILE is not allowed")
    forbidden = _FORBIDDEN_RE.search(code)
    if forbidden:
        return GuardRefusal(False, f"table function {forbidden.group(1)}() is not allowed")
    return None


def strip_trailing_semicolon(sql: str) -> str:
    """The statement without a final ';' (the client appends its own FORMAT clause)."""
    stripped = sql.rstrip()
    return stripped[:-1] if stripped.endswith(";") else stripped
