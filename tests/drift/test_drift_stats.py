"""Pure statistics: Jensen-Shannon divergence, chi-square tail, G-test, confidence bands."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from telemetry_service.drift.confidence import Confidence, confidence_for
from telemetry_service.drift.stats import (
    chi2_sf,
    homogeneity_p_value,
    js_divergence,
    score_summary,
)

counts = st.dictionaries(st.sampled_from("abcdef"), st.integers(0, 1000), min_size=1)


def test_identical_distributions_have_zero_divergence() -> None:
    assert js_divergence({"a": 3, "b": 1}, {"a": 30, "b": 10}) == pytest.approx(0.0)


def test_disjoint_distributions_have_divergence_one() -> None:
    assert js_divergence({"a": 5}, {"b": 7}) == pytest.approx(1.0)


def test_half_overlap_matches_hand_computed_value() -> None:
    # p = (1, 0), q = (0.5, 0.5), m = (0.75, 0.25):
    # JSD = 0.5 * log2(1 / 0.75) + 0.5 * (0.5 * log2(0.5 / 0.75) + 0.5 * log2(0.5 / 0.25))
    expected = 0.5 * math.log2(4 / 3) + 0.25 * math.log2(2 / 3) + 0.25 * math.log2(2)
    assert js_divergence({"a": 1}, {"a": 1, "b": 1}) == pytest.approx(expected)


def test_empty_side_has_no_divergence() -> None:
    assert js_divergence({}, {"a": 1}) == 0.0


@given(counts, counts)
def test_divergence_is_symmetric_and_bounded(p: dict[str, int], q: dict[str, int]) -> None:
    forward = js_divergence(p, q)
    assert 0.0 <= forward <= 1.0
    assert forward == pytest.approx(js_divergence(q, p), abs=1e-12)


@pytest.mark.parametrize(
    ("statistic", "dof", "expected"),
    [
        pytest.param(3.841458820694124, 1, 0.05, id="1-dof-5-percent"),
        pytest.param(5.991464547107979, 2, 0.05, id="2-dof-5-percent"),
        pytest.param(20.515005652432873, 5, 0.001, id="5-dof-0.1-percent"),
        pytest.param(0.0, 3, 1.0, id="zero-statistic"),
    ],
)
def test_chi2_tail_matches_tables(statistic: float, dof: int, expected: float) -> None:
    assert chi2_sf(statistic, dof) == pytest.approx(expected, rel=1e-6)


def test_g_test_flags_a_real_shift_and_not_noise() -> None:
    assert homogeneity_p_value({"a": 80, "b": 20}, {"a": 20, "b": 80}) < 1e-10
    assert homogeneity_p_value({"a": 52, "b": 48}, {"a": 48, "b": 52}) > 0.5


def test_score_summary_has_normal_95_percent_interval() -> None:
    summary = score_summary(count=100, mean=7.0, stddev_sample=2.0)
    assert summary.ci_low == pytest.approx(7.0 - 1.959964 * 0.2, rel=1e-6)
    assert summary.ci_high == pytest.approx(7.0 + 1.959964 * 0.2, rel=1e-6)


def test_score_summary_of_one_review_collapses_to_the_mean() -> None:
    summary = score_summary(count=1, mean=6.0, stddev_sample=math.nan)
    assert (summary.ci_low, summary.ci_high) == (6.0, 6.0)


@pytest.mark.parametrize(
    ("count", "band"),
    [
        pytest.param(0, Confidence.INSUFFICIENT, id="0-insufficient"),
        pytest.param(9, Confidence.INSUFFICIENT, id="9-insufficient"),
        pytest.param(10, Confidence.PRELIMINARY, id="10-preliminary"),
        pytest.param(29, Confidence.PRELIMINARY, id="29-preliminary"),
        pytest.param(30, Confidence.MODERATE, id="30-moderate"),
        pytest.param(99, Confidence.MODERATE, id="99-moderate"),
        pytest.param(100, Confidence.HIGH, id="100-high"),
    ],
)
def test_confidence_bands(count: int, band: Confidence) -> None:
    assert confidence_for(count) is band
