"""The seed ADR's validation checks and the frontier fit, from aggregated rows (pure)."""

from __future__ import annotations

import dataclasses
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping

from telemetry_service.drift.confidence import Confidence, confidence_for
from telemetry_service.drift.filters import TIERS
from telemetry_service.drift.stats import ScoreSummary, score_summary


def _tier_order(tier: str) -> tuple[int, str]:
    return (TIERS.index(tier) if tier in TIERS else len(TIERS), tier)


@dataclasses.dataclass(frozen=True)
class CallSums:
    """Calls of one tier, Pareto seats (is_pareto) or named seats; cost in USD."""

    tier: str
    is_pareto: bool
    calls: int
    duplicates: int
    costed_calls: int
    cost_usd: float


@dataclasses.dataclass(frozen=True)
class DuplicateRate:
    tier: str
    sessions: int
    calls: int
    duplicates: int
    rate: float
    confidence: Confidence


@dataclasses.dataclass(frozen=True)
class CostCheck:
    tier: str
    calls: int
    mean_cost_usd: float
    expected_cost_usd: float
    over_budget: bool
    confidence: Confidence


@dataclasses.dataclass(frozen=True)
class ReviewSums:
    """Sum and sum of squares of review scores of one tier and seat kind."""

    tier: str
    is_pareto: bool
    count: int
    total: float
    squares: float


@dataclasses.dataclass(frozen=True)
class ReviewComparison:
    tier: str
    pareto: ScoreSummary
    named: ScoreSummary
    difference: float
    confidence: Confidence


@dataclasses.dataclass(frozen=True)
class FrontierFit:
    tier: str
    selections: int
    on_frontier: int
    rate: float


def duplicate_rates(sums: Iterable[CallSums], sessions: Mapping[str, int]) -> list[DuplicateRate]:
    """Per tier with Pareto seat calls: duplicates / calls, confidence from calls."""
    rates = []
    for row in sums:
        if not row.is_pareto or row.calls == 0:
            continue
        rates.append(
            DuplicateRate(
                tier=row.tier,
                sessions=sessions.get(row.tier, 0),
                calls=row.calls,
                duplicates=row.duplicates,
                rate=row.duplicates / row.calls,
                confidence=confidence_for(row.calls),
            )
        )
    return sorted(rates, key=lambda r: _tier_order(r.tier))


def cost_checks(sums: Iterable[CallSums], expected: Mapping[str, float]) -> list[CostCheck]:
    """Mean cost per call of every seat of a tier (calls with a reported cost) vs expectation."""
    calls: dict[str, int] = defaultdict(int)
    cost: dict[str, float] = defaultdict(float)
    for row in sums:
        calls[row.tier] += row.costed_calls
        cost[row.tier] += row.cost_usd
    checks = []
    for tier, count in calls.items():
        if count == 0:
            continue
        mean = cost[tier] / count
        budget = expected.get(tier, 0.0)
        checks.append(
            CostCheck(
                tier=tier,
                calls=count,
                mean_cost_usd=mean,
                expected_cost_usd=budget,
                over_budget=budget > 0 and mean > budget,
                confidence=confidence_for(count),
            )
        )
    return sorted(checks, key=lambda c: _tier_order(c.tier))


def _summary(count: int, total: float, squares: float) -> ScoreSummary:
    if count == 0:
        return ScoreSummary(0, 0.0, 0.0, 0.0)
    mean = total / count
    variance = (squares - total * total / count) / (count - 1) if count > 1 else 0.0
    return score_summary(count, mean, math.sqrt(max(0.0, variance)))


def review_comparisons(sums: Iterable[ReviewSums]) -> list[ReviewComparison]:
    """Per tier with reviews of the Pareto seat or named seats: means, 95% CIs, difference."""
    merged: dict[tuple[str, bool], list[float]] = defaultdict(lambda: [0, 0.0, 0.0])
    for row in sums:
        acc = merged[(row.tier, row.is_pareto)]
        acc[0] += row.count
        acc[1] += row.total
        acc[2] += row.squares
    comparisons = []
    for tier in sorted({tier for tier, _ in merged}, key=_tier_order):
        p = merged.get((tier, True), [0, 0.0, 0.0])
        n = merged.get((tier, False), [0, 0.0, 0.0])
        pareto = _summary(int(p[0]), p[1], p[2])
        named = _summary(int(n[0]), n[1], n[2])
        comparisons.append(
            ReviewComparison(
                tier=tier,
                pareto=pareto,
                named=named,
                difference=pareto.mean - named.mean if pareto.count and named.count else 0.0,
                confidence=confidence_for(min(pareto.count, named.count)),
            )
        )
    return comparisons


def frontier_fit(
    rows: Iterable[tuple[str, str, int, int]], frontiers: Mapping[int, frozenset[str]]
) -> list[FrontierFit]:
    """rows: (tier, resolved model, snapshot ms, selections); frontiers: snapshot ms -> members."""
    selections: dict[str, int] = defaultdict(int)
    on: dict[str, int] = defaultdict(int)
    for tier, model, snapshot_ms, count in rows:
        selections[tier] += count
        if model in frontiers.get(snapshot_ms, frozenset()):
            on[tier] += count
    return [
        FrontierFit(tier, total, on[tier], on[tier] / total if total else 0.0)
        for tier, total in sorted(selections.items(), key=lambda kv: _tier_order(kv[0]))
    ]
