"""The drift SQL (files in drift/sql) and the choice of the table a query reads (pure)."""

from __future__ import annotations

import dataclasses
import functools
import math
from importlib import resources
from typing import Any

from telemetry_service.drift.filters import DriftQuery

# Rollup tables by bucket length in seconds, coarsest first (an allow-list: only these
# names are ever put into SQL text).
ROLLUPS: tuple[tuple[str, int], ...] = (("selection_rollup_1h", 3_600), ("selection_rollup_1m", 60))
RAW_SOURCE = "raw_selections"
_PLACEHOLDER = "__SOURCE__"


@dataclasses.dataclass(frozen=True)
class Source:
    """Where selections are read: a rollup table or RAW_SOURCE, and for a rollup whose last
    bucket `until` cuts, the time (epoch s) from which the raw table takes over."""

    table: str
    raw_from: float | None = None


@functools.cache
def load_sql(name: str) -> str:
    """The text of drift/sql/<name>.sql without its comment lines."""
    text = resources.files("telemetry_service.drift").joinpath("sql", f"{name}.sql").read_text()
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--"))


def choose_source(query: DriftQuery) -> Source:
    """The coarsest rollup whose buckets tile every window, else the raw table.

    Windows start at multiples of the window length, so a rollup fits when its bucket
    divides the window. When `until` cuts a bucket (and is not now: nothing lies beyond
    now), that last part comes from the raw table.
    """
    for table, bucket_s in ROLLUPS:
        if query.window_s % bucket_s:
            continue
        if query.until_is_now or query.until % bucket_s == 0:
            return Source(table)
        return Source(table, float(math.floor(query.until / bucket_s) * bucket_s))
    return Source(RAW_SOURCE)


def render(name: str, source: Source) -> str:
    """Query `name` reading from `source`."""
    allowed = {table for table, _ in ROLLUPS}
    raw = load_sql(RAW_SOURCE)
    if source.table == RAW_SOURCE:
        fragment = raw
    elif source.table in allowed and source.raw_from is None:
        fragment = source.table
    elif source.table in allowed:
        tail = load_sql("rollup_with_raw_tail")
        fragment = tail.replace("__ROLLUP__", source.table).replace("__RAW__", raw)
    else:
        raise ValueError(f"unknown selection source {source.table!r}")
    return load_sql(name).replace(_PLACEHOLDER, fragment)


def _micros(epoch_s: float) -> int:
    return round(epoch_s * 1_000_000)


def parameters(
    query: DriftQuery, *, lookback: bool = False, source: Source | None = None
) -> dict[str, Any]:
    """Bound parameters; `lookback` starts one window early (history for event detection)."""
    start = query.since - query.window_s if lookback else query.since
    cut = source.raw_from if source is not None and source.raw_from is not None else query.until
    return {
        "from_us": _micros(start),
        "until_us": _micros(query.until),
        "cut_us": _micros(cut),
        "window_s": query.window_s,
        "tiers": list(query.tiers),
        "requested": list(query.requested_models),
    }
