from __future__ import annotations

import httpx
from sim_support import chat_body

from openrouter_sim.sse_parse import SseStream, parse_sse

URL = "/chat/completions"


def _stream(client: httpx.Client, **kwargs: object) -> tuple[httpx.Response, SseStream]:
    with client.stream("POST", URL, **kwargs) as response:  # type: ignore[arg-type]
        text = response.read().decode()
    return response, parse_sse(text)


def test_stream_starts_with_processing_comments_and_ends_with_done(
    client: httpx.Client,
) -> None:
    response, sse = _stream(client, json=chat_body(score=0.5, stream=True))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert sse.order[0] == "comment"
    assert sse.comments[0] == "OPENROUTER PROCESSING"
    assert sse.order[-1] == "done"
    assert sse.done


def test_stream_deltas_concatenate_to_the_non_stream_content(client: httpx.Client) -> None:
    plain = client.post(URL, json=chat_body("same question", score=0.5)).json()
    _, sse = _stream(client, json=chat_body("same question", score=0.5, stream=True))
    content_chunks = [e for e in sse.events if e["choices"][0]["delta"].get("content")]
    assert len(content_chunks) > 3
    assert sse.content == plain["choices"][0]["message"]["content"]


def test_stream_chunks_carry_model_provider_and_one_id(client: httpx.Client) -> None:
    response, sse = _stream(client, json=chat_body(score=0.2, stream=True))
    assert {e["object"] for e in sse.events} == {"chat.completion.chunk"}
    assert {e["model"] for e in sse.events} == {"deepseek/deepseek-v3.2"}
    assert {e["provider"] for e in sse.events} == {"DeepSeek"}
    assert {e["id"] for e in sse.events} == {response.headers["x-generation-id"]}


def test_usage_is_only_in_the_last_chunk_after_the_finish_reason(client: httpx.Client) -> None:
    plain = client.post(URL, json=chat_body("usage please", score=0.5)).json()
    _, sse = _stream(client, json=chat_body("usage please", score=0.5, stream=True))
    with_usage = [i for i, e in enumerate(sse.events) if "usage" in e]
    assert with_usage == [len(sse.events) - 1]
    finishes = [e["choices"][0]["finish_reason"] for e in sse.events]
    assert finishes[-2] == "stop"
    assert finishes.count("stop") == 1
    assert sse.events[-1]["usage"] == plain["usage"]


def test_metadata_rides_on_the_last_chunk_only_with_the_header(client: httpx.Client) -> None:
    _, without = _stream(client, json=chat_body(score=0.5, stream=True))
    assert not any("openrouter_metadata" in e for e in without.events)
    _, with_meta = _stream(
        client,
        json=chat_body(score=0.5, stream=True),
        headers={"X-OpenRouter-Metadata": "enabled"},
    )
    carrying = [i for i, e in enumerate(with_meta.events) if "openrouter_metadata" in e]
    assert carrying == [len(with_meta.events) - 1]
    assert with_meta.events[-1]["openrouter_metadata"]["strategy"] == "pareto"


def test_keep_alive_connection_is_reused_after_a_stream(client: httpx.Client) -> None:
    for _ in range(3):
        _, sse = _stream(client, json=chat_body(score=0.8, stream=True))
        assert sse.done
    assert client.post(URL, json=chat_body(score=0.8)).status_code == 200
