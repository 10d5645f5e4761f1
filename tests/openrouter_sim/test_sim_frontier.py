from __future__ import annotations

import itertools

import pytest

from openrouter_sim import Band, Epoch, FrontierSchedule, MaxPrice, band_for_score
from openrouter_sim.catalog import ModelInfo, per_million
from openrouter_sim.default_schedule import default_schedule


@pytest.mark.parametrize(
    ("score", "band"),
    [
        pytest.param(None, Band.HIGH, id="omitted-is-high"),
        pytest.param(1.0, Band.HIGH, id="one-is-high"),
        pytest.param(0.9, Band.HIGH, id="frontier-0.9-high"),
        pytest.param(0.8, Band.HIGH, id="high-0.8"),
        pytest.param(0.66, Band.HIGH, id="0.66-boundary-high"),
        pytest.param(0.6599, Band.MEDIUM, id="just-below-0.66-medium"),
        pytest.param(0.5, Band.MEDIUM, id="balanced-0.5-medium"),
        pytest.param(0.33, Band.MEDIUM, id="0.33-boundary-medium"),
        pytest.param(0.3299, Band.LOW, id="just-below-0.33-low"),
        pytest.param(0.2, Band.LOW, id="quick-0.2-low"),
        pytest.param(0.0, Band.LOW, id="zero-low"),
    ],
)
def test_band_for_score_follows_openrouter_thresholds(score: float | None, band: Band) -> None:
    assert band_for_score(score) is band


EXPECTED_PICKS = {
    # epoch: (low, medium, high)
    0: ("deepseek/deepseek-v3.2", "minimax/minimax-m2.1", "google/gemini-3.1-pro-preview"),
    1: ("deepseek/deepseek-v3.2", "minimax/minimax-m2.1", "openai/gpt-5.4"),
    2: ("deepseek/deepseek-v3.2", "z-ai/glm-4.7", "openai/gpt-5.4"),
    3: ("qwen/qwen3-coder", "deepseek/deepseek-v3.2", "anthropic/claude-opus-4.7"),
}
EXPECTED_NITRO = {
    0: ("x-ai/grok-code-fast-1", "minimax/minimax-m2.1", "google/gemini-3.1-pro-preview"),
    1: ("x-ai/grok-code-fast-1", "minimax/minimax-m2.1", "google/gemini-3.1-pro-preview"),
    2: ("x-ai/grok-code-fast-1", "minimax/minimax-m2.1", "google/gemini-3.1-pro-preview"),
    3: ("x-ai/grok-code-fast-1", "minimax/minimax-m2.1", "openai/gpt-5.4"),
}
BANDS = (Band.LOW, Band.MEDIUM, Band.HIGH)


@pytest.mark.parametrize("epoch", [pytest.param(i, id=f"epoch-{i}") for i in range(4)])
def test_default_schedule_picks_cheapest_of_each_band(epoch: int) -> None:
    schedule = default_schedule()
    picks = tuple(schedule.epochs[epoch].pick(b) for b in BANDS)
    assert picks == EXPECTED_PICKS[epoch]


@pytest.mark.parametrize("epoch", [pytest.param(i, id=f"epoch-{i}") for i in range(4)])
def test_nitro_picks_fastest_of_each_band(epoch: int) -> None:
    schedule = default_schedule()
    e = schedule.epochs[epoch]
    picks = tuple(e.pick(b, nitro=True) for b in BANDS)
    assert picks == EXPECTED_NITRO[epoch]
    for band, pick in zip(BANDS, picks, strict=True):
        fastest = max(m.throughput_tps for m in e.shortlist(band))
        assert e.model(pick) is not None
        assert e.model(pick).throughput_tps == fastest  # type: ignore[union-attr]


def test_every_shift_changes_some_band_pick_including_the_wrap_around() -> None:
    epochs = default_schedule().epochs
    for i, epoch in enumerate(epochs):
        following = epochs[(i + 1) % len(epochs)]
        assert any(epoch.pick(b) != following.pick(b) for b in BANDS), (epoch.name, following.name)


def test_every_band_pick_changes_somewhere_in_the_schedule() -> None:
    epochs = default_schedule().epochs
    for band in BANDS:
        assert len({e.pick(band) for e in epochs}) > 1, band


def test_catalog_changes_with_every_epoch() -> None:
    epochs = default_schedule().epochs
    for earlier, later in itertools.pairwise(epochs):
        assert earlier.models != later.models


def test_shortlists_are_ordered_by_coding_index_and_bands_do_not_overlap() -> None:
    for epoch in default_schedule().epochs:
        scores = {b: [m.coding_index for m in epoch.shortlist(b)] for b in BANDS}
        for band in BANDS:
            assert scores[band] == sorted(scores[band], reverse=True), (epoch.name, band)
        assert min(scores[Band.MEDIUM]) > max(scores[Band.LOW]), epoch.name
        assert min(scores[Band.HIGH]) > max(scores[Band.MEDIUM]), epoch.name


def test_max_price_excludes_models_priced_above_the_cap() -> None:
    epoch = default_schedule().epochs[0]
    # High band prompt prices (USD/M): opus 5.00, gpt-5.4 2.50, gemini 2.00.
    assert epoch.pick(Band.HIGH) == "google/gemini-3.1-pro-preview"
    with pytest.raises(LookupError):
        epoch.pick(Band.HIGH, max_price=MaxPrice(prompt_per_m=1.0))
    capped = MaxPrice(prompt_per_m=2.5, completion_per_m=11.0)
    with pytest.raises(LookupError):
        epoch.pick(Band.HIGH, max_price=capped)
    assert epoch.candidates(Band.HIGH, MaxPrice(completion_per_m=15.0)) == [
        epoch.model("openai/gpt-5.4"),
        epoch.model("google/gemini-3.1-pro-preview"),
    ]


def test_max_price_changes_the_pick_when_the_cheapest_is_not_allowed() -> None:
    epoch = default_schedule().epochs[0]
    assert epoch.pick(Band.LOW) == "deepseek/deepseek-v3.2"
    # Low prompt prices (USD/M): glm 0.40, deepseek 0.28, qwen 0.22, grok 0.20; of the two
    # left under 0.25, qwen has the lower blended price.
    assert epoch.pick(Band.LOW, max_price=MaxPrice(prompt_per_m=0.25)) == "qwen/qwen3-coder"


def _model(model_id: str, price_per_m: float, tps: float, score: float) -> ModelInfo:
    return ModelInfo(
        id=model_id,
        name=model_id,
        provider="P",
        prompt_price=per_million(price_per_m),
        completion_price=per_million(price_per_m),
        context_length=1000,
        coding_index=score,
        throughput_tps=tps,
        created=0,
    )


def _tiny_schedule(cycle: bool) -> FrontierSchedule:
    a, b = _model("v/a", 1.0, 10, 50), _model("v/b", 2.0, 20, 60)
    bands = {Band.LOW: ("v/a",), Band.MEDIUM: ("v/a",), Band.HIGH: ("v/b", "v/a")}
    return FrontierSchedule(
        (Epoch("e0", (a, b), bands), Epoch("e1", (a, b), bands), Epoch("e2", (a, b), bands)),
        cycle=cycle,
    )


@pytest.mark.parametrize(
    ("elapsed", "cycle", "index"),
    [
        pytest.param(0.0, True, 0, id="start"),
        pytest.param(9.999, True, 0, id="just-before-first-shift"),
        pytest.param(10.0, True, 1, id="first-shift"),
        pytest.param(29.0, True, 2, id="last-epoch"),
        pytest.param(30.0, True, 0, id="cycles-back"),
        pytest.param(30.0, False, 2, id="stays-on-last"),
        pytest.param(1e6, False, 2, id="stays-forever"),
    ],
)
def test_schedule_epoch_index_over_time(elapsed: float, cycle: bool, index: int) -> None:
    assert _tiny_schedule(cycle).epoch_index(elapsed, 10.0) == index


def test_schedule_without_shift_interval_never_moves() -> None:
    assert _tiny_schedule(True).epoch_index(1e9, None) == 0


def test_epoch_rejects_a_shortlist_naming_an_unknown_model() -> None:
    a = _model("v/a", 1.0, 10, 50)
    with pytest.raises(ValueError, match="unknown"):
        Epoch("bad", (a,), {Band.LOW: ("v/a",), Band.MEDIUM: ("v/a",), Band.HIGH: ("v/zzz",)})


def test_pick_ties_keep_shortlist_order() -> None:
    a, b = _model("v/a", 1.0, 10, 50), _model("v/b", 1.0, 10, 60)
    epoch = Epoch(
        "tie", (a, b), {Band.LOW: ("v/b", "v/a"), Band.MEDIUM: ("v/a",), Band.HIGH: ("v/a",)}
    )
    assert epoch.pick(Band.LOW) == "v/b"
    assert epoch.pick(Band.LOW, nitro=True) == "v/b"
