"""The ClickHouse store: one writer client and one read-only reader client on the same engine.

Embedded chDB (`chdb:///path`) by default, or a server by http(s) URL. chDB has no async
client and keeps per-query settings on the client's session, so reads run on a client of
their own (session setting readonly=2: reads only, per-query limits still allowed) and every
call runs in a worker thread.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

import clickhouse_connect
from clickhouse_connect.driver.client import Client

from telemetry_service.config import redact_url

logger = logging.getLogger(__name__)

# The engine's readonly=2 mode: no writes or DDL, but settings such as max_execution_time may
# still be set per query (readonly=1 would forbid those).
READ_ONLY_SETTINGS = {"readonly": 2}


class StoreOpenError(RuntimeError):
    """The store could not be opened; the message names the (redacted) URL."""


@dataclasses.dataclass(frozen=True)
class QueryResult:
    """A materialised result: ClickHouse type names, rows as tuples in column order."""

    column_names: list[str]
    column_types: list[str]
    rows: list[tuple[Any, ...]]


def open_client(url: str, read_only: bool = False) -> Client:
    """A clickhouse-connect client for `chdb:///path` or `http(s)://user:pass@host:port/db`."""
    settings = dict(READ_ONLY_SETTINGS) if read_only else None
    return clickhouse_connect.get_client(dsn=url, settings=settings)


def _open_failure(url: str, redacted: str, exc: Exception) -> str:
    password = urlsplit(url).password
    detail = str(exc)
    if password:
        detail = detail.replace(password, "***")
    return f"cannot open ClickHouse at {redacted}: {type(exc).__name__}: {detail}"


class Store:
    """Reads on the reader client, writes (commands, inserts) on the writer client.

    The async methods run the blocking client call in a worker thread; the *_sync methods are
    for code that already runs in one (the batch writer's flush).
    """

    def __init__(self, writer: Client, reader: Client, url: str = "") -> None:
        self._writer = writer
        self._reader = reader
        self.url = url

    @classmethod
    def open(cls, url: str) -> Store:
        """Open both clients (blocking: the embedded engine starts here)."""
        redacted = redact_url(url)
        logger.info("opening ClickHouse store %s", redacted)
        try:
            writer = open_client(url)
        except Exception as exc:  # driver and engine errors alike: report without the password
            raise StoreOpenError(_open_failure(url, redacted, exc)) from exc
        try:
            reader = open_client(url, read_only=True)
        except Exception as exc:
            writer.close()
            raise StoreOpenError(_open_failure(url, redacted, exc)) from exc
        return cls(writer, reader, url)

    def query_sync(
        self,
        sql: str,
        parameters: dict[str, Any] | None = None,
        settings: dict[str, Any] | None = None,
    ) -> QueryResult:
        result = self._reader.query(sql, parameters=parameters, settings=settings)
        return QueryResult(
            column_names=list(result.column_names),
            column_types=[t.name for t in result.column_types],
            rows=[tuple(row) for row in result.result_rows],
        )

    async def query(
        self,
        sql: str,
        parameters: dict[str, Any] | None = None,
        settings: dict[str, Any] | None = None,
    ) -> QueryResult:
        """Run a read-only query; values are bound server-side as {name:Type} parameters."""
        return await asyncio.to_thread(self.query_sync, sql, parameters, settings)

    def command_sync(self, sql: str, parameters: dict[str, Any] | None = None) -> Any:
        return self._writer.command(sql, parameters=parameters)

    async def command(self, sql: str, parameters: dict[str, Any] | None = None) -> Any:
        """Run a statement on the writer client (DDL, INSERT ... SELECT, OPTIMIZE)."""
        return await asyncio.to_thread(self.command_sync, sql, parameters)

    def insert_rows_sync(
        self, table: str, rows: Sequence[Sequence[Any]], column_names: Sequence[str]
    ) -> None:
        if rows:
            self._writer.insert(table, list(rows), column_names=list(column_names))

    async def insert(
        self, table: str, rows: Sequence[Sequence[Any]], column_names: Sequence[str]
    ) -> None:
        """Insert row-oriented data (one sequence per row, in column_names order)."""
        await asyncio.to_thread(self.insert_rows_sync, table, rows, column_names)

    def insert_columns_sync(
        self, table: str, columns: Sequence[Sequence[Any]], column_names: Sequence[str]
    ) -> None:
        """Insert column-oriented data (one sequence per column): the writer's fast path."""
        if columns and len(columns[0]):
            self._writer.insert(
                table, columns, column_names=list(column_names), column_oriented=True
            )

    def close(self) -> None:
        """Close both clients; the embedded engine shuts down with its last client."""
        self._reader.close()
        self._writer.close()
