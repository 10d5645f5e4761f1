from __future__ import annotations

import pytest
from sim_support import FakeClock

from openrouter_sim import Band, MaxPrice, default_schedule
from openrouter_sim.resolver import STICKY_WINDOW_S, ParetoResolver


def _resolver(clock: FakeClock, shift_every_s: float | None = 60.0) -> ParetoResolver:
    return ParetoResolver(default_schedule(), clock, shift_every_s)


def test_epoch_shifts_when_the_clock_passes_each_interval() -> None:
    clock = FakeClock()
    resolver = _resolver(clock)
    seen = []
    for _ in range(5):
        seen.append((resolver.epoch_index(), resolver.resolve(0.8).model.id))
        clock.advance(60.0)
    assert seen == [
        (0, "google/gemini-3.1-pro-preview"),
        (1, "openai/gpt-5.4"),
        (2, "openai/gpt-5.4"),
        (3, "anthropic/claude-opus-4.7"),
        (0, "google/gemini-3.1-pro-preview"),
    ]


def test_next_shift_at_is_the_next_interval_boundary() -> None:
    clock = FakeClock()
    resolver = _resolver(clock)
    clock.advance(61.0)
    assert resolver.next_shift_at() == resolver.start + 120.0


def test_session_keeps_its_model_within_300_s_across_a_shift() -> None:
    clock = FakeClock()
    resolver = _resolver(clock)
    first = resolver.resolve(0.8, session_id="s1")
    clock.advance(200.0)  # epoch 3 now picks claude-opus-4.7 for the high band
    again = resolver.resolve(0.8, session_id="s1")
    assert first.model.id == "google/gemini-3.1-pro-preview"
    assert again.model.id == first.model.id
    assert again.sticky
    assert resolver.resolve(0.8).model.id != first.model.id  # without a session: re-picked


def test_session_is_re_picked_after_300_s() -> None:
    clock = FakeClock()
    resolver = _resolver(clock)
    first = resolver.resolve(0.8, session_id="s1")
    clock.advance(STICKY_WINDOW_S)  # 300 s = epoch 5 % 4 = 1: gpt-5.4 is the pick
    later = resolver.resolve(0.8, session_id="s1")
    assert first.model.id == "google/gemini-3.1-pro-preview"
    assert later.model.id == "openai/gpt-5.4"
    assert not later.sticky


def test_stickiness_is_per_band_and_per_nitro_variant() -> None:
    clock = FakeClock()
    resolver = _resolver(clock)
    high = resolver.resolve(0.8, session_id="s1")
    low = resolver.resolve(0.2, session_id="s1")
    nitro = resolver.resolve(0.2, session_id="s1", nitro=True)
    assert (high.band, low.band) == (Band.HIGH, Band.LOW)
    assert low.model.id == "deepseek/deepseek-v3.2"
    assert nitro.model.id == "x-ai/grok-code-fast-1"


def test_sticky_model_is_dropped_when_max_price_excludes_it() -> None:
    clock = FakeClock()
    resolver = _resolver(clock)
    resolver.resolve(0.2, session_id="s1")  # deepseek, prompt 0.28 USD/M
    capped = resolver.resolve(0.2, session_id="s1", max_price=MaxPrice(prompt_per_m=0.25))
    assert capped.model.id == "qwen/qwen3-coder"


def test_resolve_without_commit_records_no_session() -> None:
    clock = FakeClock()
    resolver = _resolver(clock)
    resolver.resolve(0.8, session_id="s1", commit=False)
    clock.advance(60.0)
    assert resolver.resolve(0.8, session_id="s1").model.id == "openai/gpt-5.4"


def test_pinned_epoch_ignores_the_clock_until_released() -> None:
    clock = FakeClock()
    resolver = _resolver(clock)
    resolver.pin_epoch(3)
    clock.advance(60.0)
    assert resolver.epoch_index() == 3
    resolver.pin_epoch(None)
    assert resolver.epoch_index() == 1


def test_pin_epoch_rejects_an_index_outside_the_schedule() -> None:
    with pytest.raises(ValueError, match="epoch"):
        _resolver(FakeClock()).pin_epoch(4)


def test_frontier_never_shifts_without_an_interval() -> None:
    clock = FakeClock()
    resolver = _resolver(clock, shift_every_s=None)
    clock.advance(1e6)
    assert resolver.epoch_index() == 0
    assert resolver.next_shift_at() is None
