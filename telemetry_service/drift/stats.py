"""Statistics on share distributions: Jensen-Shannon divergence, G-test, mean CI."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping

# 95% two-sided normal quantile.
Z_95 = 1.959963984540054


def _normalise(counts: Mapping[str, float]) -> dict[str, float]:
    total = float(sum(counts.values()))
    if total <= 0:
        return {}
    return {key: value / total for key, value in counts.items() if value > 0}


def js_divergence(p: Mapping[str, float], q: Mapping[str, float]) -> float:
    """Jensen-Shannon divergence in bits (0 = same, 1 = disjoint) of two count/share maps.

    Either map may hold counts or shares; both are normalised first. An empty side gives 0
    (nothing to compare).
    """
    pn, qn = _normalise(p), _normalise(q)
    if not pn or not qn:
        return 0.0
    divergence = 0.0
    for key in pn.keys() | qn.keys():
        a, b = pn.get(key, 0.0), qn.get(key, 0.0)
        m = (a + b) / 2
        if a > 0:
            divergence += 0.5 * a * math.log2(a / m)
        if b > 0:
            divergence += 0.5 * b * math.log2(b / m)
    return min(1.0, max(0.0, divergence))


def _gamma_q(a: float, x: float) -> float:
    """Regularised upper incomplete gamma Q(a, x) (Numerical Recipes, series / fraction)."""
    if x <= 0:
        return 1.0
    log_prefix = -x + a * math.log(x) - math.lgamma(a)
    if x < a + 1:
        term = total = 1.0 / a
        ap = a
        for _ in range(1000):
            ap += 1
            term *= x / ap
            total += term
            if abs(term) < abs(total) * 1e-15:
                break
        return max(0.0, 1.0 - total * math.exp(log_prefix))
    tiny = 1e-300
    b = x + 1 - a
    c = 1 / tiny
    d = 1 / b
    h = d
    for i in range(1, 1000):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1 / d
        delta = d * c
        h *= delta
        if abs(delta - 1) < 1e-15:
            break
    return min(1.0, math.exp(log_prefix) * h)


def chi2_sf(statistic: float, dof: int) -> float:
    """P(X >= statistic) for a chi-square variable with `dof` degrees of freedom."""
    if dof <= 0:
        return 1.0
    return _gamma_q(dof / 2, statistic / 2)


def homogeneity_p_value(before: Mapping[str, int], after: Mapping[str, int]) -> float:
    """p-value of the G-test that two count vectors come from one distribution.

    Small p means the shift is unlikely to be sampling noise; 1.0 when either side is empty
    or only one category occurs.
    """
    n1, n2 = sum(before.values()), sum(after.values())
    keys = [k for k in before.keys() | after.keys() if before.get(k, 0) + after.get(k, 0) > 0]
    if n1 == 0 or n2 == 0 or len(keys) < 2:
        return 1.0
    total = n1 + n2
    g = 0.0
    for key in keys:
        column = before.get(key, 0) + after.get(key, 0)
        for observed, row_total in ((before.get(key, 0), n1), (after.get(key, 0), n2)):
            if observed > 0:
                expected = row_total * column / total
                g += 2 * observed * math.log(observed / expected)
    return chi2_sf(g, len(keys) - 1)


@dataclasses.dataclass(frozen=True)
class ScoreSummary:
    """A mean with its 95% confidence interval (normal approximation)."""

    count: int
    mean: float
    ci_low: float
    ci_high: float


def score_summary(count: int, mean: float, stddev_sample: float) -> ScoreSummary:
    """Mean ± 1.96 standard errors; the interval collapses to the mean when count < 2."""
    if count < 2 or not math.isfinite(stddev_sample):
        return ScoreSummary(count, mean, mean, mean)
    half = Z_95 * stddev_sample / math.sqrt(count)
    return ScoreSummary(count, mean, mean - half, mean + half)
