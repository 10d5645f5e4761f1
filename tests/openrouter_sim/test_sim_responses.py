from __future__ import annotations

import concurrent.futures

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openrouter_sim import Fault, band_for_score, default_schedule
from openrouter_sim.catalog import per_million, price_string
from openrouter_sim.faults import FaultQueue
from openrouter_sim.responses import (
    build_completion,
    closing_chunks,
    cost_usd,
    count_tokens,
    delta_chunks,
    reply_text,
    split_deltas,
    sse_event,
)
from openrouter_sim.sse_parse import parse_sse


@given(st.text())
def test_split_deltas_concatenate_back_to_the_text(text: str) -> None:
    assert "".join(split_deltas(text)) == text


@given(st.floats(0, 1), st.floats(0, 1))
def test_band_never_drops_as_the_score_rises(a: float, b: float) -> None:
    order = {"low": 0, "medium": 1, "high": 2}
    lo, hi = sorted((a, b))
    assert order[band_for_score(lo)] <= order[band_for_score(hi)]


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        pytest.param("", 0, id="empty"),
        pytest.param("abc", 1, id="partial-token-rounds-up"),
        pytest.param("abcd", 1, id="four-chars"),
        pytest.param("abcde", 2, id="five-chars"),
    ],
)
def test_tokens_are_four_chars_rounded_up(text: str, tokens: int) -> None:
    assert count_tokens(text) == tokens


def test_cost_is_tokens_times_catalog_prices_without_float_noise() -> None:
    model = default_schedule().epochs[0].model("moonshotai/kimi-k2.6")
    assert model is not None
    # 1000 prompt tokens at 0.60 USD/M + 100 completion tokens at 2.50 USD/M.
    assert cost_usd(model, 1000, 100) == 0.00085


@pytest.mark.parametrize(
    ("per_m", "text"),
    [
        pytest.param(0.6, "0.0000006", id="sub-dollar"),
        pytest.param(15.0, "0.000015", id="whole-dollars"),
        pytest.param(0.0, "0", id="free"),
    ],
)
def test_prices_are_plain_decimal_strings(per_m: float, text: str) -> None:
    assert price_string(per_million(per_m)) == text


def test_reply_quotes_only_the_start_of_the_last_user_message() -> None:
    messages = [
        {"role": "user", "content": "first question"},
        {"role": "assistant", "content": "an answer"},
        {"role": "user", "content": "second   question " + "z" * 200},
    ]
    text = reply_text("v/m", messages)
    assert "second question zz" in text
    assert "first question" not in text
    assert "z" * 60 not in text


def test_sse_rendering_round_trips_through_the_parser() -> None:
    model = default_schedule().epochs[0].model("openai/gpt-5.4")
    assert model is not None
    messages = [{"role": "user", "content": "hi"}]
    completion = build_completion(
        model=model, messages=messages, max_tokens=None, created=1, metadata=None
    )
    text = b"".join(sse_event(c) for c in [*delta_chunks(completion), *closing_chunks(completion)])
    parsed = parse_sse(text.decode())
    assert parsed.content == completion.content
    assert parsed.events[-1]["usage"] == completion.usage


def test_fault_queue_hands_out_exactly_count_uses_across_threads() -> None:
    queue = FaultQueue()
    queue.push(Fault(kind="http_error", status=500, count=50))

    def take(_: int) -> bool:
        return queue.take("v/m", stream=False) is not None

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        taken = list(pool.map(take, range(200)))
    assert taken.count(True) == 50
    assert queue.pending() == []
