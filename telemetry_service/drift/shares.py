"""Selection share tables from per-window counts (pure)."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable

from telemetry_service.drift.events import WindowCounts


@dataclasses.dataclass(frozen=True)
class CountRow:
    """Selections of one (window, tier, band, requested, resolved) cell."""

    window_start: float
    tier: str
    band: str
    requested_model: str
    resolved_model: str
    count: int


@dataclasses.dataclass(frozen=True)
class ShareRow:
    """A resolved model's share of its tier in one window (share = count / window_total)."""

    window_start: float
    tier: str
    band: str
    requested_model: str
    resolved_model: str
    count: int
    share: float
    window_total: int


def _single(values: set[str]) -> str:
    # One band/requested model behind a merged cell is still worth showing; several are not.
    return next(iter(values)) if len(values) == 1 else ""


def build_shares(
    rows: Iterable[CountRow], *, by_band_and_requested: bool, report_from: float
) -> list[ShareRow]:
    """Shares by window, then tier, then count descending, for windows from `report_from`.

    Without the breakdown, cells are merged per (window, tier, resolved model); band and
    requested model are kept when a single one stands behind the cell, else empty.
    """
    totals: dict[tuple[float, str], int] = defaultdict(int)
    cells: dict[tuple[float, str, str, str, str], int] = defaultdict(int)
    bands: dict[tuple[float, str, str], set[str]] = defaultdict(set)
    requested: dict[tuple[float, str, str], set[str]] = defaultdict(set)
    for row in rows:
        if row.window_start < report_from:
            continue
        totals[(row.window_start, row.tier)] += row.count
        band, req = (row.band, row.requested_model) if by_band_and_requested else ("", "")
        cells[(row.window_start, row.tier, band, req, row.resolved_model)] += row.count
        bands[(row.window_start, row.tier, row.resolved_model)].add(row.band)
        requested[(row.window_start, row.tier, row.resolved_model)].add(row.requested_model)
    shares: list[ShareRow] = []
    for (window, tier, band, req, resolved), count in cells.items():
        total = totals[(window, tier)]
        if not by_band_and_requested:
            band = _single(bands[(window, tier, resolved)])
            req = _single(requested[(window, tier, resolved)])
        shares.append(
            ShareRow(
                window, tier, band, req, resolved, count, count / total if total else 0.0, total
            )
        )
    shares.sort(key=lambda s: (s.window_start, s.tier, -s.count, s.resolved_model, s.band))
    return shares


def window_counts(rows: Iterable[CountRow]) -> list[WindowCounts]:
    """Counts per (tier, window) and resolved model, the input of event detection."""
    merged: dict[tuple[str, float], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in rows:
        merged[(row.tier, row.window_start)][row.resolved_model] += row.count
    return [
        WindowCounts(tier=tier, window_start=window, counts=dict(counts))
        for (tier, window), counts in sorted(merged.items())
    ]
