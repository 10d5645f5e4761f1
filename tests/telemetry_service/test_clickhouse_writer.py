"""The group-commit writer against the real embedded engine."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Sequence

import pytest

from telemetry_service.clickhouse_writer import (
    LINGER_S,
    BatchWriter,
    BufferFull,
    StoreUnavailable,
    TableRows,
)
from telemetry_service.genai_rows import SEAT_SELECTIONS_COLUMNS
from telemetry_service.span_rows import rows_from_request
from telemetry_service.store import Store
from tests.telemetry_service.otlp_builders import (
    export_request,
    router_chat_attributes,
    span,
    unique_span_id,
)


def selection_parts(index: int) -> list[TableRows]:
    batch = rows_from_request(
        export_request([span(router_chat_attributes(), span_id=unique_span_id(index))])
    )
    return [TableRows("seat_selections", SEAT_SELECTIONS_COLUMNS, batch.selections)]


def selections(store: Store) -> int:
    return int(store.query_sync("SELECT count() FROM seat_selections").rows[0][0])


class GatedInsert:
    """The real insert, held until `release` is set (to keep a flush in flight)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.release = threading.Event()
        self.entered = threading.Event()

    def __call__(self, table: str, columns: list[list[object]], names: Sequence[str]) -> None:
        self.entered.set()
        self.release.wait(timeout=30)
        self.store.insert_columns_sync(table, columns, names)


async def test_many_concurrent_exports_are_written_in_fewer_inserts(store: Store) -> None:
    writer = BatchWriter(store.insert_columns_sync, 10_000, 100_000, flush_interval_s=0.05)
    writer.start()
    await asyncio.gather(*(writer.write(selection_parts(i)) for i in range(50)))
    await writer.stop()

    assert selections(store) == 50
    assert writer.stats.insert_calls < 50


async def test_write_returns_only_after_rows_are_queryable(store: Store) -> None:
    writer = BatchWriter(store.insert_columns_sync, 10_000, 100_000, flush_interval_s=0.01)
    writer.start()
    await writer.write(selection_parts(1))
    stored = selections(store)
    await writer.stop()
    assert stored == 1


async def test_batch_size_triggers_a_flush_before_the_interval(store: Store) -> None:
    writer = BatchWriter(store.insert_columns_sync, 1, 100_000, flush_interval_s=3600)
    writer.start()
    await asyncio.wait_for(writer.write(selection_parts(1)), timeout=10)
    await writer.stop()
    assert selections(store) == 1


async def test_full_buffer_refuses_with_buffer_full_and_drops_nothing(store: Store) -> None:
    gate = GatedInsert(store)
    writer = BatchWriter(gate, 1, 2, flush_interval_s=0.01)
    writer.start()
    in_flight = asyncio.create_task(writer.write(selection_parts(0)))
    await asyncio.to_thread(gate.entered.wait, 10)
    queued = [asyncio.create_task(writer.write(selection_parts(i))) for i in (1, 2)]
    await asyncio.sleep(0)
    with pytest.raises(BufferFull):
        await writer.write(selection_parts(3))
    gate.release.set()
    await asyncio.gather(in_flight, *queued)
    await writer.stop()

    assert selections(store) == 3
    assert writer.stats.rejected_full == 1


async def test_failed_insert_raises_store_unavailable_for_every_waiter(store: Store) -> None:
    writer = BatchWriter(store.insert_columns_sync, 10_000, 100_000, flush_interval_s=0.05)
    writer.start()
    await store.command("DETACH TABLE seat_selections")
    results = await asyncio.gather(
        *(writer.write(selection_parts(i)) for i in range(3)), return_exceptions=True
    )
    await store.command("ATTACH TABLE seat_selections")
    await writer.stop()

    assert all(isinstance(r, StoreUnavailable) for r in results)
    assert selections(store) == 0


async def test_stop_flushes_pending_rows_before_returning(store: Store) -> None:
    writer = BatchWriter(store.insert_columns_sync, 10_000, 100_000, flush_interval_s=3600)
    writer.start()
    await asyncio.wait_for(writer.write(selection_parts(0)), timeout=10)
    # A flush just started, so the next rows wait for the interval (an hour) or the stop.
    pending = asyncio.create_task(writer.write(selection_parts(1)))
    await asyncio.sleep(0.3)
    assert selections(store) == 1
    await writer.stop()
    await pending
    assert selections(store) == 2


async def test_rows_after_an_idle_spell_are_written_after_the_linger_not_the_interval(
    store: Store,
) -> None:
    writer = BatchWriter(store.insert_columns_sync, 10_000, 100_000, flush_interval_s=3600)
    writer.start()
    started = time.monotonic()
    await asyncio.wait_for(writer.write(selection_parts(0)), timeout=10)
    assert time.monotonic() - started >= LINGER_S
    await writer.stop()
    assert selections(store) == 1


async def test_at_most_one_flush_starts_per_interval_below_the_batch_size(store: Store) -> None:
    writer = BatchWriter(store.insert_columns_sync, 10_000, 100_000, flush_interval_s=0.5)
    writer.start()
    await writer.write(selection_parts(0))
    first_done = time.monotonic()
    # Sent one by one right after a flush: they share the next one, half a second on.
    await asyncio.gather(*(writer.write(selection_parts(i)) for i in range(1, 6)))
    waited = time.monotonic() - first_done
    await writer.stop()
    assert selections(store) == 6
    assert writer.stats.flushes == 2
    assert 0.3 <= waited < 5


async def test_the_next_flush_starts_when_the_previous_one_ends_under_load(store: Store) -> None:
    gate = GatedInsert(store)
    writer = BatchWriter(gate, 10_000, 100_000, flush_interval_s=1.0)
    writer.start()
    first = asyncio.create_task(writer.write(selection_parts(0)))
    await asyncio.to_thread(gate.entered.wait, 10)
    await asyncio.sleep(1.1)  # the flush in progress outlasts the interval
    queued = [asyncio.create_task(writer.write(selection_parts(i))) for i in (1, 2, 3)]
    await asyncio.sleep(0)
    released = time.monotonic()
    gate.release.set()
    await asyncio.gather(first, *queued)
    took = time.monotonic() - released
    await writer.stop()
    assert selections(store) == 4
    assert writer.stats.flushes == 2  # the three queued exports share one insert
    # Written after the linger, not a whole interval after they arrived.
    assert took < 0.6


async def test_write_after_stop_is_refused(store: Store) -> None:
    writer = BatchWriter(store.insert_columns_sync, 10, 100, flush_interval_s=0.01)
    writer.start()
    await writer.stop()
    with pytest.raises(StoreUnavailable):
        await writer.write(selection_parts(1))


async def test_store_state_hook_hears_only_changes_before_the_exports(store: Store) -> None:
    heard: list[tuple[bool, int]] = []
    writer: BatchWriter

    async def hook(ok: bool) -> None:
        heard.append((ok, writer.stats.failed_flushes))

    writer = BatchWriter(
        store.insert_columns_sync, 10_000, 100_000, flush_interval_s=0.01, on_store_state=hook
    )
    writer.start()
    await writer.write(selection_parts(1))
    store.command_sync("DETACH TABLE seat_selections")
    for index in (2, 3):
        with pytest.raises(StoreUnavailable):
            await writer.write(selection_parts(index))
        assert writer.store_ok is False
    store.command_sync("ATTACH TABLE seat_selections")
    await writer.write(selection_parts(4))
    await writer.write(selection_parts(5))
    await writer.stop()

    assert heard == [(False, 1), (True, 2)]
    assert writer.store_ok is True
