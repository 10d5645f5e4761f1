"""Drift event detection over per-window selection counts (pure).

A change is reported only when it is both large (Jensen-Shannon divergence at or above the
threshold; a quarter of it for a new top model) and unlikely to be sampling noise (G-test of
homogeneity, p below `alpha`), and
only between windows that each hold at least 10 selections: stable data with the usual
sampling noise stays quiet, and thin data never alarms.
"""

from __future__ import annotations

import dataclasses
import enum
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

from telemetry_service.drift.confidence import INSUFFICIENT_BELOW, Confidence, confidence_for
from telemetry_service.drift.stats import homogeneity_p_value, js_divergence

DEFAULT_DIVERGENCE_THRESHOLD = 0.1


class EventKind(enum.IntEnum):
    """Same numbers as llmcouncil.telemetry.v1.DriftEventKind."""

    UNSPECIFIED = 0
    TOP_MODEL_CHANGED = 1
    MODEL_APPEARED = 2
    MODEL_DISAPPEARED = 3
    DISTRIBUTION_SHIFT = 4


@dataclasses.dataclass(frozen=True)
class DetectionSettings:
    """Knobs of the detector; the defaults keep false alarms rare on stable data."""

    divergence_threshold: float = DEFAULT_DIVERGENCE_THRESHOLD
    # Significance of the G-test; strict because many window pairs are tested.
    alpha: float = 1e-4
    # A new top model needs only this fraction of the threshold: a genuine change of rank
    # is news even when the rest of the distribution barely moves.
    top_change_fraction: float = 0.25
    # A model counts as having appeared only with at least this many selections.
    min_model_count: int = 3


@dataclasses.dataclass(frozen=True)
class WindowCounts:
    """Selections per resolved model of one tier in one window (start in epoch seconds)."""

    tier: str
    window_start: float
    counts: Mapping[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclasses.dataclass(frozen=True)
class ModelShare:
    model: str
    share: float
    count: int


@dataclasses.dataclass(frozen=True)
class DriftEvent:
    kind: EventKind
    tier: str
    window_start: float
    previous_window_start: float
    model: str
    previous_top_model: str
    shares_before: tuple[ModelShare, ...]
    shares_after: tuple[ModelShare, ...]
    divergence: float
    evidence_count: int
    confidence: Confidence


def model_shares(counts: Mapping[str, int]) -> tuple[ModelShare, ...]:
    """Shares sorted by count descending, then model id (deterministic order)."""
    total = sum(counts.values())
    ordered = sorted(((m, c) for m, c in counts.items() if c > 0), key=lambda mc: (-mc[1], mc[0]))
    return tuple(ModelShare(m, c / total if total else 0.0, c) for m, c in ordered)


def top_model(counts: Mapping[str, int]) -> str:
    shares = model_shares(counts)
    return shares[0].model if shares else ""


def _pair_events(
    prev: WindowCounts, cur: WindowCounts, seen: set[str], settings: DetectionSettings
) -> list[DriftEvent]:
    divergence = js_divergence(prev.counts, cur.counts)
    evidence = min(prev.total, cur.total)
    prev_top, cur_top = top_model(prev.counts), top_model(cur.counts)
    before, after = model_shares(prev.counts), model_shares(cur.counts)

    def event(kind: EventKind, model: str) -> DriftEvent:
        return DriftEvent(
            kind=kind,
            tier=cur.tier,
            window_start=cur.window_start,
            previous_window_start=prev.window_start,
            model=model,
            previous_top_model=prev_top,
            shares_before=before,
            shares_after=after,
            divergence=divergence,
            evidence_count=evidence,
            confidence=confidence_for(evidence),
        )

    found: list[DriftEvent] = []
    beyond_noise = homogeneity_p_value(prev.counts, cur.counts) < settings.alpha
    top_floor = settings.divergence_threshold * settings.top_change_fraction
    if beyond_noise and cur_top != prev_top and divergence >= top_floor:
        found.append(event(EventKind.TOP_MODEL_CHANGED, cur_top))
    elif beyond_noise and divergence >= settings.divergence_threshold:
        found.append(event(EventKind.DISTRIBUTION_SHIFT, ""))
    for share in after:
        if share.model not in seen and share.count >= settings.min_model_count:
            found.append(event(EventKind.MODEL_APPEARED, share.model))
    for share in before:
        # Absence is news only when it is itself beyond noise: the model against the rest.
        if (
            cur.counts.get(share.model, 0) == 0
            and share.count >= settings.min_model_count
            and homogeneity_p_value(
                {share.model: share.count, "": prev.total - share.count}, {"": cur.total}
            )
            < settings.alpha
        ):
            found.append(event(EventKind.MODEL_DISAPPEARED, share.model))
    return found


def detect_tier_events(
    windows: Sequence[WindowCounts], settings: DetectionSettings, report_from: float
) -> list[DriftEvent]:
    """Events of one tier's windows (any order), for windows starting at `report_from` or later.

    Windows before `report_from` still serve as history (first sightings, the previous
    window of the first reported one). Windows with fewer than 10 selections are skipped:
    they are neither compared nor compared with.
    """
    seen: set[str] = set()
    prev: WindowCounts | None = None
    found: list[DriftEvent] = []
    for window in sorted(windows, key=lambda w: w.window_start):
        if window.total >= INSUFFICIENT_BELOW:
            if prev is not None:
                pair = _pair_events(prev, window, seen, settings)
                if window.window_start >= report_from:
                    found.extend(pair)
            prev = window
        seen.update(m for m, c in window.counts.items() if c > 0)
    return found


def detect_events(
    windows: Iterable[WindowCounts],
    settings: DetectionSettings | None = None,
    report_from: float = float("-inf"),
) -> list[DriftEvent]:
    """Events of every tier, oldest first (then tier, then kind, then model)."""
    by_tier: dict[str, list[WindowCounts]] = defaultdict(list)
    for window in windows:
        by_tier[window.tier].append(window)
    effective = settings or DetectionSettings()
    found = [
        event
        for tier_windows in by_tier.values()
        for event in detect_tier_events(tier_windows, effective, report_from)
    ]
    return sorted(found, key=lambda e: (e.window_start, e.tier, int(e.kind), e.model))
