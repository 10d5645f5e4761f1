"""A real embedded ClickHouse (chDB) store with the service's migrations applied."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from telemetry_service import migrate
from telemetry_service.store import Store


def open_migrated_store(path: Path, *, raw_ttl_days: int, selections_ttl_days: int) -> Store:
    """Open a chDB store at `path` and apply every migration with these TTLs (days)."""
    store = Store.open(f"chdb://{path}")
    steps = migrate.plan(
        migrate.load_migrations(), migrate.ttl_params(raw_ttl_days, selections_ttl_days)
    )
    migrate.apply_migrations(store.command_sync, lambda sql: store.query_sync(sql).rows, steps)
    return store


@contextmanager
def migrated_store(path: Path, *, raw_ttl_days: int, selections_ttl_days: int) -> Iterator[Store]:
    """`open_migrated_store`, closed when the block ends."""
    store = open_migrated_store(
        path, raw_ttl_days=raw_ttl_days, selections_ttl_days=selections_ttl_days
    )
    try:
        yield store
    finally:
        store.close()
