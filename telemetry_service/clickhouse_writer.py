"""Group-commit batch writer: concurrent exports share one ClickHouse insert per table.

An export appends its rows to a bounded buffer and awaits a future; a flusher task inserts
everything pending, then resolves the futures. It flushes when the pending rows reach
max_batch_rows; otherwise at most one flush starts per flush_interval: rows that arrive when
the last flush started longer than flush_interval ago are written after a short linger
(LINGER_S, so exports sent together share the insert), later ones once flush_interval has
passed since that start. So no row waits longer than flush_interval for a flush to start,
and under load the next flush starts as soon as the previous one ends, with everything
that arrived meanwhile (the batch grows with the load instead of the writer idling). An
export is acknowledged only after its rows are written. A full buffer raises BufferFull and
a failed insert StoreUnavailable; the receiver turns both into UNAVAILABLE + RetryInfo, so
nothing is dropped silently.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence

logger = logging.getLogger(__name__)

InsertColumns = Callable[[str, list[list[object]], Sequence[str]], None]
# Called with False when an insert fails after the last one succeeded, and with True when
# one succeeds again (the server maps it to the health status).
StoreStateHook = Callable[[bool], Awaitable[None]]


# Seconds the first rows after an idle spell wait for company before their flush starts:
# exports acknowledged together come back together, and one insert for all of them costs
# much less than one each (measured: docs/benchmarks.md, "Group commit").
LINGER_S = 0.03


class BufferFull(Exception):
    """The write buffer holds max_buffer_rows; the sender should retry later."""


class StoreUnavailable(Exception):
    """The insert failed (store down, table missing, ...) or the writer is stopping."""


@dataclasses.dataclass(frozen=True)
class TableRows:
    """Rows for one table, each a tuple in column_names order."""

    table: str
    column_names: tuple[str, ...]
    rows: list[tuple[object, ...]]

    def columns(self) -> list[list[object]]:
        return to_columns(self.rows, len(self.column_names))


@dataclasses.dataclass
class _Pending:
    parts: list[TableRows]
    future: asyncio.Future[None]
    rows: int


@dataclasses.dataclass
class WriterStats:
    """Counters for logs and tests: inserts per table call, rows written, refusals."""

    flushes: int = 0
    insert_calls: int = 0
    rows_written: int = 0
    rejected_full: int = 0
    failed_flushes: int = 0


def to_columns(rows: list[tuple[object, ...]], width: int) -> list[list[object]]:
    """Transpose rows to columns (column-oriented inserts measured ~1.5-2x faster on chDB)."""
    if not rows:
        return [[] for _ in range(width)]
    return [list(column) for column in zip(*rows, strict=True)]


def merge_parts(exports: Iterable[list[TableRows]]) -> list[TableRows]:
    """One TableRows per table, rows concatenated in arrival order."""
    merged: dict[str, TableRows] = {}
    for parts in exports:
        for part in parts:
            if not part.rows:
                continue
            target = merged.get(part.table)
            if target is None:
                merged[part.table] = TableRows(part.table, part.column_names, list(part.rows))
            else:
                target.rows.extend(part.rows)
    return list(merged.values())


class BatchWriter:
    """Bounded, group-committing writer; `insert_columns` runs in a worker thread."""

    def __init__(
        self,
        insert_columns: InsertColumns,
        max_batch_rows: int,
        max_buffer_rows: int,
        flush_interval_s: float,
        on_store_state: StoreStateHook | None = None,
    ) -> None:
        self._insert_columns = insert_columns
        self._on_store_state = on_store_state
        # False from a failed insert until the next one succeeds.
        self.store_ok = True
        self._max_batch_rows = max_batch_rows
        self._max_buffer_rows = max_buffer_rows
        self._flush_interval_s = flush_interval_s
        self._pending: list[_Pending] = []
        self._pending_rows = 0
        self._oldest: float | None = None
        self._last_flush_start = float("-inf")
        self._linger_s = min(LINGER_S, flush_interval_s)
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self.stats = WriterStats()

    @property
    def pending_rows(self) -> int:
        return self._pending_rows

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="clickhouse-writer")

    async def write(self, parts: list[TableRows], rows: int | None = None) -> None:
        """Queue the rows and wait until they are written; raises BufferFull/StoreUnavailable.

        `rows` overrides the count the batch and buffer limits see (raw exports carry one
        row per request but stand for their spans' rows)."""
        if self._closing or self._task is None:
            raise StoreUnavailable("the writer is not running")
        if rows is None:
            rows = sum(len(part.rows) for part in parts)
        if rows == 0:
            return
        # An export larger than the whole buffer is still taken when the buffer is empty,
        # or it could never be accepted.
        if self._pending_rows and self._pending_rows + rows > self._max_buffer_rows:
            self.stats.rejected_full += 1
            raise BufferFull(
                f"write buffer full ({self._pending_rows} of {self._max_buffer_rows} rows)"
            )
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append(_Pending(parts, future, rows))
        self._pending_rows += rows
        if self._oldest is None:
            self._oldest = time.monotonic()
        self._wakeup.set()
        await asyncio.shield(future)

    async def stop(self) -> None:
        """Refuse new writes, flush what is pending, end the flusher."""
        self._closing = True
        self._wakeup.set()
        if self._task is not None:
            await self._task
            self._task = None

    def _due_in(self) -> float:
        """Seconds until the pending rows must be flushed (0 = now)."""
        if not self._pending:
            return self._flush_interval_s
        if self._closing or self._pending_rows >= self._max_batch_rows:
            return 0.0
        assert self._oldest is not None
        due = max(self._oldest + self._linger_s, self._last_flush_start + self._flush_interval_s)
        due = min(due, self._oldest + self._flush_interval_s)
        return max(0.0, due - time.monotonic())

    async def _run(self) -> None:
        while True:
            if self._closing and not self._pending:
                return
            delay = self._due_in()
            if delay > 0:
                self._wakeup.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wakeup.wait(), timeout=delay)
                continue
            if self._pending:
                await self._flush()

    async def _flush(self) -> None:
        self._last_flush_start = time.monotonic()
        batch, self._pending = self._pending, []
        self._pending_rows = 0
        self._oldest = None
        parts = merge_parts(item.parts for item in batch)
        try:
            await asyncio.to_thread(self._insert_all, parts)
        except Exception as exc:  # any engine/driver failure: every waiting export must learn it
            self.stats.failed_flushes += 1
            logger.warning("insert of %d export(s) failed: %s", len(batch), exc)
            await self._set_store_ok(False)
            error = StoreUnavailable(f"store write failed: {type(exc).__name__}")
            for item in batch:
                if not item.future.done():
                    item.future.set_exception(error)
            return
        self.stats.flushes += 1
        await self._set_store_ok(True)
        for item in batch:
            if not item.future.done():
                item.future.set_result(None)

    async def _set_store_ok(self, ok: bool) -> None:
        """Record the store state; the hook hears only changes, before the exports do."""
        if ok == self.store_ok:
            return
        self.store_ok = ok
        if ok:
            logger.info("store writes succeed again")
        if self._on_store_state is not None:
            await self._on_store_state(ok)

    def _insert_all(self, parts: list[TableRows]) -> None:
        for part in parts:
            self._insert_columns(part.table, part.columns(), part.column_names)
            self.stats.insert_calls += 1
            self.stats.rows_written += len(part.rows)
