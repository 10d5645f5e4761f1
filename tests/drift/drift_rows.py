"""Builders of seat_selections / seat_reviews / catalog rows for the drift tests."""

from __future__ import annotations

import datetime as dt
import itertools
import random
from collections.abc import Iterable, Sequence
from typing import Any

from telemetry_service.store import Store

SELECTION_COLUMNS = (
    "event_time",
    "trace_id",
    "span_id",
    "session_id",
    "seat_id",
    "tier",
    "requested_model",
    "resolved_model",
    "generation_id",
    "pareto_applied",
    "pareto_band",
    "duplicate_of_pool",
    "status",
    "cost_usd",
)
REVIEW_COLUMNS = (
    "event_time",
    "trace_id",
    "span_id",
    "session_id",
    "seat_id",
    "generation_id",
    "tier",
    "requested_model",
    "resolved_model",
    "reviewer",
    "score",
)
PARETO = "openrouter/pareto-code"
DAY = 86_400.0
BANDS = {
    "quick": "low",
    "balanced": "medium",
    "high": "high",
    "reasoning": "high",
    "frontier": "high",
}
_ids = itertools.count(1)


def utc(epoch_s: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(epoch_s, tz=dt.UTC)


def selection(
    at: float,
    tier: str,
    resolved: str,
    *,
    requested: str = PARETO,
    session: str = "s",
    duplicate: bool = False,
    cost: float | None = 0.001,
    status: str = "ok",
    span: str | None = None,
) -> tuple[Any, ...]:
    n = next(_ids)
    pareto = requested.startswith(PARETO)
    return (
        utc(at),
        f"{n:032x}",
        span or f"{n:016x}",
        session,
        "pareto" if pareto else resolved,
        tier,
        requested,
        resolved if status == "ok" else "",
        f"gen-{n}",
        pareto,
        BANDS[tier] if pareto else "",
        duplicate,
        status,
        cost,
    )


def review(
    at: float, tier: str, requested: str, score: float, *, generation: str = ""
) -> tuple[Any, ...]:
    n = next(_ids)
    return (
        utc(at),
        f"{n:032x}",
        f"{n:016x}",
        "s",
        "seat",
        generation,
        tier,
        requested,
        "",
        "r",
        score,
    )


def sample_counts(
    rng: random.Random, start: float, end: float, tier: str, shares: dict[str, float], n: int
) -> list[tuple[Any, ...]]:
    """n selections spread uniformly over [start, end), models drawn from `shares`."""
    models, weights = zip(*shares.items(), strict=True)
    return [
        selection(rng.uniform(start, end), tier, rng.choices(models, weights)[0]) for _ in range(n)
    ]


async def insert_selections(store: Store, rows: Sequence[Sequence[Any]]) -> None:
    await store.insert("seat_selections", rows, SELECTION_COLUMNS)


async def insert_reviews(store: Store, rows: Iterable[Sequence[Any]]) -> None:
    await store.insert("seat_reviews", list(rows), REVIEW_COLUMNS)
