"""OpenRouter /models catalog: parsing and the quality/cost Pareto frontier (pure)."""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

# Prompt:completion token mix for one blended price (input-heavy coding calls).
PROMPT_WEIGHT = 3.0
COMPLETION_WEIGHT = 1.0


@dataclasses.dataclass(frozen=True)
class CatalogModel:
    """One catalog entry; prices in USD per token; coding_index 0..100 or None."""

    model_id: str
    name: str
    context_length: int
    prompt_price_usd: float
    completion_price_usd: float
    coding_index: float | None

    @property
    def blended_price_usd(self) -> float:
        return (
            PROMPT_WEIGHT * self.prompt_price_usd + COMPLETION_WEIGHT * self.completion_price_usd
        ) / (PROMPT_WEIGHT + COMPLETION_WEIGHT)


def _number(value: Any) -> float | None:
    """OpenRouter sends prices as strings; anything unparsable or non-finite is None."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def parse_catalog(payload: Any) -> list[CatalogModel]:
    """Models of a GET /models body ({"data": [...]}); malformed entries are skipped."""
    entries = payload.get("data") if isinstance(payload, Mapping) else None
    if not isinstance(entries, list):
        return []
    models: list[CatalogModel] = []
    for entry in entries:
        if not isinstance(entry, Mapping) or not isinstance(entry.get("id"), str):
            continue
        raw_pricing = entry.get("pricing")
        pricing: Mapping[str, Any] = raw_pricing if isinstance(raw_pricing, Mapping) else {}
        benchmarks = entry.get("benchmarks")
        analysis = (
            benchmarks.get("artificial_analysis") if isinstance(benchmarks, Mapping) else None
        )
        coding = _number(analysis.get("coding_index")) if isinstance(analysis, Mapping) else None
        context = _number(entry.get("context_length"))
        models.append(
            CatalogModel(
                model_id=entry["id"],
                name=str(entry.get("name") or entry["id"]),
                context_length=int(context) if context and context > 0 else 0,
                prompt_price_usd=_number(pricing.get("prompt")) or 0.0,
                completion_price_usd=_number(pricing.get("completion")) or 0.0,
                coding_index=coding,
            )
        )
    return models


def _candidate(model: CatalogModel) -> bool:
    # Meta routers (openrouter/*) have no price of their own; ":free" variants are
    # rate-limited stand-ins of a priced model; negative prices mean "variable".
    return (
        model.coding_index is not None
        and not model.model_id.startswith("openrouter/")
        and not model.model_id.endswith(":free")
        and model.prompt_price_usd >= 0
        and model.completion_price_usd >= 0
    )


def pareto_frontier(models: Iterable[CatalogModel]) -> list[CatalogModel]:
    """Models no other model beats on both quality and price, cheapest first.

    A model is dominated when another one has a coding index at least as high and a blended
    price at least as low, and is strictly better in one of the two. Equal points stay.
    """
    candidates = sorted(
        (m for m in models if _candidate(m)),
        key=lambda m: (m.blended_price_usd, -(m.coding_index or 0.0), m.model_id),
    )
    frontier: list[CatalogModel] = []
    for model in candidates:
        quality = model.coding_index or 0.0
        if not frontier:
            frontier.append(model)
            continue
        last = frontier[-1]
        best = last.coding_index or 0.0
        if quality > best or (
            quality == best and model.blended_price_usd == last.blended_price_usd
        ):
            frontier.append(model)
    return frontier


@dataclasses.dataclass(frozen=True)
class FrontierChange:
    snapshot_time: float
    added: tuple[str, ...]
    removed: tuple[str, ...]
    frontier: tuple[str, ...]


def frontier_changes(
    snapshots: Sequence[tuple[float, Sequence[str]]], report_from: float = float("-inf")
) -> list[FrontierChange]:
    """Changes between consecutive snapshots (time, frontier cheapest first), oldest first.

    The first snapshot is the baseline; changes are reported for snapshots taken at
    `report_from` or later.
    """
    ordered = sorted(snapshots, key=lambda s: s[0])
    changes: list[FrontierChange] = []
    for (_, before), (time, after) in itertools.pairwise(ordered):
        added = tuple(m for m in after if m not in set(before))
        removed = tuple(m for m in before if m not in set(after))
        if (added or removed) and time >= report_from:
            changes.append(FrontierChange(time, added, removed, tuple(after)))
    return changes
