"""Pure pre-checks of a read-only SQL statement, before the engine runs it.

What the guard guarantees, for any statement it passes (ClickHouse 26.x lexical rules):
- one statement (a ';' only at the end), starting with a read keyword (SELECT, WITH, ...);
- no SETTINGS clause, so the per-query limits the service sets (time, rows, bytes, memory)
  cannot be lifted; a SET statement is not a read keyword and is refused too;
- no INTO OUTFILE;
- no call of a table function outside ALLOWED_TABLE_FUNCTIONS: every known ClickHouse table
  function that reaches files, the network, other databases or engine internals is refused
  wherever it is called, and any other call directly after FROM / JOIN / DESCRIBE is refused
  unless it is allowed (so table functions added by a later engine version are refused in
  their usual place); the scalar file() is refused as well.

Names are matched on a token stream, not on the raw text: string literals, heredocs
($tag$...$tag$) and comments are skipped exactly where the engine's lexer skips them,
quoted identifiers ("file", `file`) are compared by their value, quoted identifiers with
backslash escapes are refused (the engine decodes "fi\\x6ce" to file), and non-ASCII
characters outside literals count as whitespace (the engine skips Unicode spaces). Where
this lexer and the engine's could differ (nested comments, malformed numbers) the guard sees
more code than the engine, never less, so the difference can only refuse a statement.

What it relies on: writes, DDL, KILL, SYSTEM and access-control statements are refused by the
engine (the reader client's session has readonly=2), and system tables that need grants
(system.users, system.grants) by the engine's access checks. readonly=2 does not stop table
functions on the embedded engine (file() and url() run under it, and allow_ddl=0 does not
stop them either), so this guard is the only barrier for those: keep it in front of every
user statement. Against a ClickHouse server (http(s) CLICKHOUSE_URL) the engine can add its
own barrier: give the reader's user no source grants (READ ON FILE/URL/S3/REMOTE...) and a
settings profile whose constraints make max_execution_time, max_result_rows/bytes and
max_memory_usage changeable only downwards (MAX constraints); that is deployment work, not
something this service can set up.
"""

from __future__ import annotations

import dataclasses
import re

MAX_SQL_CHARS = 100_000
READ_KEYWORDS = frozenset({"SELECT", "WITH", "SHOW", "DESCRIBE", "DESC", "EXPLAIN", "EXISTS"})
# Table functions that only generate rows or read the store's own tables (lower case).
ALLOWED_TABLE_FUNCTIONS = frozenset(
    {
        "numbers",
        "numbers_mt",
        "zeros",
        "zeros_mt",
        "generateseries",
        "generate_series",
        "primes",
        "generaterandom",
        "values",
        "null",
        "view",
        "format",
    }
)
# Every other table function of the engine (system.table_functions of chDB 4.4 / ClickHouse
# 26.x, lower case), refused wherever it is called, plus the scalar file().
FORBIDDEN_CALLS = frozenset(
    {
        "sqlstandardvalues",
        "arrowflight",
        "arrowstream",
        "azureblobstorage",
        "azureblobstoragecluster",
        "bigquery",
        "cluster",
        "clusterallreplicas",
        "cosn",
        "deltalake",
        "deltalakeazure",
        "deltalakeazurecluster",
        "deltalakecluster",
        "deltalakelocal",
        "deltalakes3",
        "deltalakes3cluster",
        "dictionary",
        "eval",
        "executable",
        "file",
        "filecluster",
        "filesystem",
        "fuzzjson",
        "fuzzquery",
        "gcs",
        "hdfs",
        "hdfscluster",
        "hudi",
        "hudicluster",
        "iceberg",
        "icebergazure",
        "icebergazurecluster",
        "icebergcluster",
        "iceberghdfs",
        "iceberghdfscluster",
        "iceberglocal",
        "iceberglocalcluster",
        "icebergs3",
        "icebergs3cluster",
        "input",
        "jdbc",
        "loop",
        "merge",
        "mergetreeanalyzeindexes",
        "mergetreeanalyzeindexesuuid",
        "mergetreecodecblockcounts",
        "mergetreeindex",
        "mergetreeprojection",
        "mergetreetextindex",
        "mongodb",
        "mysql",
        "odbc",
        "oss",
        "paimon",
        "paimonazure",
        "paimonazurecluster",
        "paimoncluster",
        "paimonhdfs",
        "paimonhdfscluster",
        "paimonlocal",
        "paimons3",
        "paimons3cluster",
        "postgresql",
        "prometheusquery",
        "prometheusqueryrange",
        "python",
        "redis",
        "remote",
        "remotesecure",
        "s3",
        "s3cluster",
        "sqlite",
        "timeseriesdata",
        "timeseriesmetricfamilies",
        "timeseriesmetrics",
        "timeseriessamples",
        "timeseriesselector",
        "timeseriestags",
        "url",
        "urlcluster",
        "viewexplain",
        "viewifpermitted",
        "ytsaurus",
    }
)
# Keywords after which `name(` is a table function.
_TABLE_POSITION = frozenset({"FROM", "JOIN", "DESCRIBE", "DESC", "TABLE"})
# SQL-standard call forms with FROM inside their parentheses: EXTRACT(DAY FROM f(x)) etc.
_FROM_ARGUMENT_CALLS = frozenset({"extract", "trim", "substring", "substr", "overlay"})

_WORD_RE = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")
_NUMBER_RE = re.compile(r"0[xX][0-9a-fA-F]+|0[bB][01]+|\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+")


class _Refused(Exception):
    def __init__(self, refusal: GuardRefusal) -> None:
        super().__init__(refusal.message)
        self.refusal = refusal


@dataclasses.dataclass(frozen=True)
class GuardRefusal:
    """Why a statement is refused: `invalid` (INVALID_ARGUMENT) or not read-only
    (PERMISSION_DENIED)."""

    invalid: bool
    message: str


@dataclasses.dataclass(frozen=True)
class Token:
    """kind: word (bare identifier or keyword), name (quoted identifier, decoded), str
    (string literal or heredoc), num, or punct (one character)."""

    kind: str
    text: str


def _quoted_end(sql: str, start: int) -> int:
    """Index after the quote closing the literal that opens at `start` (backslash escapes
    and doubled quotes, as the engine reads them); raises _Refused when unterminated."""
    quote = sql[start]
    i = start + 1
    while i < len(sql):
        char = sql[i]
        if char == "\\":
            i += 2
        elif char == quote:
            if i + 1 < len(sql) and sql[i + 1] == quote:
                i += 2
            else:
                return i + 1
        else:
            i += 1
    kind = "string literal" if quote == "'" else "quoted name"
    raise _Refused(GuardRefusal(True, f"unterminated {kind} at character {start}"))


def _quoted_name(raw: str) -> str:
    """The value of a quoted identifier; escapes are refused rather than decoded."""
    quote, body = raw[0], raw[1:-1]
    if "\\" in body:
        raise _Refused(GuardRefusal(False, "escape sequences in quoted names are not allowed"))
    return body.replace(quote + quote, quote)


def _heredoc_end(sql: str, start: int) -> int | None:
    """Index after a heredoc opening at `start` ($tag$...$tag$, the engine's rule: the tag
    runs to the next '$'), or None when there is none."""
    tag_end = sql.find("$", start + 1)
    if tag_end < 0:
        return None
    tag = sql[start : tag_end + 1]
    close = sql.find(tag, tag_end + 1)
    return None if close < 0 else close + len(tag)


def tokenize(sql: str) -> list[Token]:
    """The statement's tokens, comments dropped; raises _Refused for unterminated parts."""
    tokens: list[Token] = []
    i, size = 0, len(sql)
    while i < size:
        char = sql[i]
        if char.isspace() or not char.isascii() or not char.isprintable():
            i += 1
        elif sql.startswith("--", i) or (char == "#" and sql[i + 1 : i + 2] in (" ", "!")):
            newline = sql.find("\n", i)
            i = size if newline < 0 else newline + 1
        elif sql.startswith("/*", i):
            close = sql.find("*/", i + 2)
            if close < 0:
                raise _Refused(GuardRefusal(True, f"unterminated comment at character {i}"))
            i = close + 2
        elif char == "'":
            end = _quoted_end(sql, i)
            tokens.append(Token("str", sql[i:end]))
            i = end
        elif char in '"`':
            end = _quoted_end(sql, i)
            tokens.append(Token("name", _quoted_name(sql[i:end])))
            i = end
        elif char == "$" and (heredoc_end := _heredoc_end(sql, i)) is not None:
            tokens.append(Token("str", sql[i:heredoc_end]))
            i = heredoc_end
        elif (number := _NUMBER_RE.match(sql, i)) is not None:
            tokens.append(Token("num", number.group(0)))
            i = number.end()
        elif (word := _WORD_RE.match(sql, i)) is not None:
            tokens.append(Token("word", word.group(0)))
            i = word.end()
        else:
            tokens.append(Token("punct", char))
            i += 1
    return tokens


def _is_word(token: Token | None, *words: str) -> bool:
    return token is not None and token.kind == "word" and token.text.upper() in words


def _is_punct(token: Token | None, char: str) -> bool:
    return token is not None and token.kind == "punct" and token.text == char


def _at(tokens: list[Token], index: int) -> Token | None:
    return tokens[index] if 0 <= index < len(tokens) else None


def _denied(message: str) -> GuardRefusal:
    return GuardRefusal(False, message)


def _check_call(tokens: list[Token], index: int, enclosing: list[str | None]) -> None:
    """Refuse a forbidden function called at tokens[index], or any table function there that
    is not allowed."""
    name = tokens[index].text
    lowered = name.lower()
    if lowered in FORBIDDEN_CALLS:
        raise _Refused(_denied(f"table function {name}() is not allowed"))
    in_from_argument = bool(enclosing) and enclosing[-1] in _FROM_ARGUMENT_CALLS
    # ARRAY JOIN takes an array expression, not a table.
    array_join = _is_word(_at(tokens, index - 1), "JOIN") and _is_word(
        _at(tokens, index - 2), "ARRAY"
    )
    if (
        _is_word(_at(tokens, index - 1), *_TABLE_POSITION)
        and not in_from_argument
        and not array_join
        and lowered not in ALLOWED_TABLE_FUNCTIONS
    ):
        raise _Refused(_denied(f"table function {name}() is not allowed"))


def _check_tokens(tokens: list[Token]) -> None:
    enclosing: list[str | None] = []  # per open '(': the lower-case called name, or None
    for index, token in enumerate(tokens):
        following = _at(tokens, index + 1)
        if _is_punct(token, ";"):
            raise _Refused(_denied("only one statement is allowed"))
        if _is_word(token, "SETTINGS"):
            named = following is not None and following.kind in ("word", "name")
            if named and _is_punct(_at(tokens, index + 2), "="):
                raise _Refused(_denied("SETTINGS overrides are not allowed"))
        if _is_word(token, "INTO") and _is_word(following, "OUTFILE"):
            raise _Refused(_denied("INTO OUTFILE is not allowed"))
        if token.kind in ("word", "name") and _is_punct(following, "("):
            _check_call(tokens, index, enclosing)
        if _is_punct(token, "("):
            caller = _at(tokens, index - 1)
            called = caller is not None and caller.kind in ("word", "name")
            enclosing.append(caller.text.lower() if called and caller else None)
        elif _is_punct(token, ")") and enclosing:
            enclosing.pop()


def check_statement(sql: str) -> GuardRefusal | None:
    """None when the statement may go to the engine, else the refusal."""
    if not sql.strip():
        return GuardRefusal(True, "sql is empty")
    if len(sql) > MAX_SQL_CHARS:
        return GuardRefusal(True, f"sql is longer than {MAX_SQL_CHARS} characters")
    try:
        tokens = tokenize(sql)
        if tokens and _is_punct(tokens[-1], ";"):
            tokens = tokens[:-1]
        first = next((t for t in tokens if not _is_punct(t, "(")), None)
        if first is None or first.kind != "word" or first.text.upper() not in READ_KEYWORDS:
            word = first.text.upper() if first is not None and first.kind == "word" else "?"
            return _denied(f"{word} is not a read-only statement")
        _check_tokens(tokens)
    except _Refused as refused:
        return refused.refusal
    return None


def strip_trailing_semicolon(sql: str) -> str:
    """The statement without a final ';' (the client appends its own FORMAT clause)."""
    stripped = sql.rstrip()
    return stripped[:-1] if stripped.endswith(";") else stripped
