"""The narrow store interface the drift analyses need (the service's store provides it)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol


class QueryResultLike(Protocol):
    """A query result: column names, ClickHouse type names and rows in column order."""

    @property
    def column_names(self) -> Sequence[str]: ...

    @property
    def column_types(self) -> Sequence[Any]: ...

    @property
    def rows(self) -> Sequence[Sequence[Any]]: ...


class DriftStore(Protocol):
    """Async access to ClickHouse; parameters are bound server-side ({name:Type}).

    `settings` are per-query engine settings. The drift queries always pass their own
    result limits: on the embedded engine, settings of an earlier query (say a small
    max_result_rows of an ad-hoc SQL query) stay on the client's session.
    """

    async def query(
        self,
        sql: str,
        parameters: Mapping[str, Any] | None = None,
        settings: Mapping[str, Any] | None = None,
    ) -> QueryResultLike: ...

    async def command(self, sql: str, parameters: Mapping[str, Any] | None = None) -> Any: ...

    async def insert(
        self, table: str, rows: Sequence[Sequence[Any]], column_names: Sequence[str]
    ) -> Any: ...
