"""Pure event detection over share tables."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from telemetry_service.drift.events import (
    DetectionSettings,
    EventKind,
    WindowCounts,
    detect_events,
)

DAY = 86_400.0


def windows(tier: str, *cells: dict[str, int]) -> list[WindowCounts]:
    return [WindowCounts(tier, i * DAY, counts) for i, counts in enumerate(cells)]


def kinds(events: list) -> list[tuple[EventKind, float, str]]:
    return [(e.kind, e.window_start, e.model) for e in events]


def test_top_model_change_is_reported_in_the_window_it_happens() -> None:
    found = detect_events(windows("high", {"a": 40, "b": 10}, {"a": 42, "b": 8}, {"b": 45, "a": 5}))
    assert (EventKind.TOP_MODEL_CHANGED, 2 * DAY, "b") in kinds(found)
    top = next(e for e in found if e.kind is EventKind.TOP_MODEL_CHANGED)
    assert top.previous_top_model == "a"
    assert top.previous_window_start == DAY
    assert top.evidence_count == 50
    assert [s.model for s in top.shares_after] == ["b", "a"]


def test_new_model_appears_and_old_one_disappears() -> None:
    found = detect_events(windows("quick", {"a": 50}, {"a": 48}, {"c": 50}))
    assert (EventKind.MODEL_APPEARED, 2 * DAY, "c") in kinds(found)
    assert (EventKind.MODEL_DISAPPEARED, 2 * DAY, "a") in kinds(found)


def test_shift_without_new_top_is_a_distribution_shift() -> None:
    found = detect_events(windows("balanced", {"a": 90, "b": 10}, {"a": 55, "b": 45}))
    assert kinds(found) == [(EventKind.DISTRIBUTION_SHIFT, DAY, "")]
    assert found[0].divergence >= 0.1


def test_thin_windows_never_alarm() -> None:
    # 9 selections per window: INSUFFICIENT, whatever the shares do.
    assert detect_events(windows("high", {"a": 9}, {"b": 9}, {"c": 9})) == []


def test_thin_window_is_skipped_and_the_next_one_compared_with_the_last_solid_one() -> None:
    found = detect_events(windows("high", {"a": 40}, {"b": 3}, {"a": 40}))
    assert found == []


def test_threshold_suppresses_small_but_significant_moves() -> None:
    cells = windows("high", {"a": 5000, "b": 5000}, {"a": 5600, "b": 4400})
    assert detect_events(cells, DetectionSettings(divergence_threshold=0.1)) == []
    assert detect_events(cells, DetectionSettings(divergence_threshold=0.001)) != []


def test_events_before_report_start_serve_only_as_history() -> None:
    found = detect_events(windows("high", {"a": 50}, {"b": 50}, {"b": 50}), report_from=2 * DAY)
    assert found == []


def test_stable_noisy_data_over_sixty_windows_stays_quiet() -> None:
    rng = random.Random(7)
    shares = {"a": 0.55, "b": 0.35, "c": 0.1}
    cells = []
    for _ in range(60):
        n = rng.randint(20, 200)
        picks = rng.choices(list(shares), list(shares.values()), k=n)
        cells.append({m: picks.count(m) for m in shares if picks.count(m)})
    assert detect_events(windows("balanced", *cells)) == []


@given(
    st.dictionaries(st.sampled_from("abcd"), st.integers(1, 500), min_size=1),
    st.integers(2, 10),
)
def test_repeating_the_same_window_never_alarms(counts: dict[str, int], repeats: int) -> None:
    assert detect_events(windows("high", *([counts] * repeats))) == []


@pytest.mark.parametrize("tier", ["quick", "frontier"])
def test_tiers_are_compared_only_with_themselves(tier: str) -> None:
    cells = windows(tier, {"a": 50}, {"a": 50}) + windows("high", {"b": 50}, {"b": 50})
    assert detect_events(cells) == []
