from __future__ import annotations

import concurrent.futures
import json
import socket
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sim_support import API_KEY, FakeClock, chat_body

from openrouter_sim import SimServer
from openrouter_sim.responses import count_tokens, prompt_tokens

URL = "/chat/completions"


def test_pareto_request_is_answered_by_the_band_pick(client: httpx.Client) -> None:
    response = client.post(URL, json=chat_body(score=0.5))
    assert response.status_code == 200
    body = response.json()
    assert body["model"] == "minimax/minimax-m2.1"
    assert body["provider"] == "Minimax"
    assert body["object"] == "chat.completion"
    assert body["id"].startswith("gen-")
    assert response.headers["x-generation-id"] == body["id"]
    choice = body["choices"][0]
    assert choice["finish_reason"] == "stop"
    assert choice["native_finish_reason"] == "stop"
    assert choice["message"]["role"] == "assistant"


@pytest.mark.parametrize(
    ("score", "model"),
    [
        pytest.param(0.2, "deepseek/deepseek-v3.2", id="quick-low"),
        pytest.param(0.5, "minimax/minimax-m2.1", id="balanced-medium"),
        pytest.param(0.8, "google/gemini-3.1-pro-preview", id="high"),
        pytest.param(None, "google/gemini-3.1-pro-preview", id="omitted-high"),
    ],
)
def test_each_tier_score_resolves_to_its_band_pick(
    client: httpx.Client, sim: SimServer, score: float | None, model: str
) -> None:
    body = client.post(URL, json=chat_body(score=score)).json()
    assert body["model"] == model == sim.resolve(min_coding_score=score)


def test_nitro_variant_is_answered_by_the_fastest_model(client: httpx.Client) -> None:
    body = client.post(URL, json=chat_body(model="openrouter/pareto-code:nitro", score=0.2))
    assert body.json()["model"] == "x-ai/grok-code-fast-1"


def test_max_price_in_the_plugin_excludes_expensive_models(client: httpx.Client) -> None:
    plugin = {"id": "pareto-router", "min_coding_score": 0.2, "max_price": {"prompt": 0.25}}
    body = client.post(URL, json=chat_body(plugins=[plugin])).json()
    assert body["model"] == "qwen/qwen3-coder"


def test_max_price_excluding_the_whole_band_is_a_404(client: httpx.Client) -> None:
    plugin = {"id": "pareto-router", "min_coding_score": 0.9, "max_price": 0.01}
    response = client.post(URL, json=chat_body(plugins=[plugin]))
    assert response.status_code == 404
    assert "No endpoints found" in response.json()["error"]["message"]


def test_disabled_plugin_falls_back_to_the_default_high_band(client: httpx.Client) -> None:
    plugin = {"id": "pareto-router", "min_coding_score": 0.2, "enabled": False}
    body = client.post(URL, json=chat_body(plugins=[plugin])).json()
    assert body["model"] == "google/gemini-3.1-pro-preview"


def test_direct_model_is_served_as_itself(client: httpx.Client) -> None:
    body = client.post(URL, json=chat_body(model="anthropic/claude-opus-4.7")).json()
    assert body["model"] == "anthropic/claude-opus-4.7"
    assert body["provider"] == "Anthropic"


def test_unknown_model_is_a_404_no_endpoints(client: httpx.Client) -> None:
    response = client.post(URL, json=chat_body(model="acme/not-a-model"))
    assert response.status_code == 404
    assert response.json() == {
        "error": {"code": 404, "message": "No endpoints found for acme/not-a-model."}
    }


def test_model_landing_later_is_unknown_before_its_epoch(
    client: httpx.Client, clock: FakeClock
) -> None:
    assert client.post(URL, json=chat_body(model="z-ai/glm-4.7")).status_code == 404
    clock.advance(120.0)  # epoch 2: glm-4.7 lands
    assert client.post(URL, json=chat_body(model="z-ai/glm-4.7")).status_code == 200


def test_content_names_the_model_and_echoes_the_user_message(client: httpx.Client) -> None:
    body = client.post(URL, json=chat_body("Explain quicksort briefly", score=0.8)).json()
    content = body["choices"][0]["message"]["content"]
    assert "google/gemini-3.1-pro-preview" in content
    assert "Explain quicksort briefly" in content


def test_usage_counts_tokens_and_prices_them_from_the_catalog(
    client: httpx.Client, sim: SimServer
) -> None:
    request = chat_body("x" * 400, model="openai/gpt-5.4")
    body = client.post(URL, json=request).json()
    usage = body["usage"]
    content = body["choices"][0]["message"]["content"]
    model = sim.schedule.epochs[0].model("openai/gpt-5.4")
    assert model is not None
    assert usage["prompt_tokens"] == prompt_tokens(request["messages"]) == 103
    assert usage["completion_tokens"] == count_tokens(content)
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    expected = usage["prompt_tokens"] * 2.5e-6 + usage["completion_tokens"] * 15e-6
    assert usage["cost"] == pytest.approx(expected, rel=1e-9)
    assert usage["prompt_tokens_details"] == {"cached_tokens": 0}
    assert usage["completion_tokens_details"] == {"reasoning_tokens": 0}


def test_max_tokens_cuts_the_reply_with_finish_reason_length(client: httpx.Client) -> None:
    body = client.post(URL, json=chat_body(max_tokens=5)).json()
    assert body["choices"][0]["finish_reason"] == "length"
    assert body["usage"]["completion_tokens"] == 5


def test_metadata_is_added_only_when_the_header_asks(client: httpx.Client) -> None:
    plain = client.post(URL, json=chat_body(score=0.5)).json()
    assert "openrouter_metadata" not in plain
    response = client.post(
        URL, json=chat_body(score=0.5), headers={"X-OpenRouter-Metadata": "enabled"}
    )
    meta = response.json()["openrouter_metadata"]
    assert meta["strategy"] == "pareto"
    assert meta["attempt"] == 1
    assert meta["requested"] == "openrouter/pareto-code"
    assert meta["endpoints"]["total"] == 2
    selected = [e for e in meta["endpoints"]["available"] if e["selected"]]
    assert selected == [{"model": "minimax/minimax-m2.1", "provider": "Minimax", "selected": True}]
    assert "band=medium" in meta["summary"]
    assert meta["region"] == "sim"
    assert meta["is_byok"] is False


def test_metadata_for_a_direct_model_has_strategy_direct(client: httpx.Client) -> None:
    response = client.post(
        URL,
        json=chat_body(model="openai/gpt-5.4"),
        headers={"X-OpenRouter-Metadata": "enabled"},
    )
    meta = response.json()["openrouter_metadata"]
    assert meta["strategy"] == "direct"
    assert meta["endpoints"]["total"] == 1


def test_same_session_keeps_its_model_across_a_shift_over_http(
    client: httpx.Client, clock: FakeClock
) -> None:
    first = client.post(URL, json=chat_body(score=0.8, session_id="council-1")).json()
    clock.advance(60.0)
    sticky = client.post(URL, json=chat_body(score=0.8, session_id="council-1")).json()
    fresh = client.post(URL, json=chat_body(score=0.8, session_id="council-2")).json()
    assert first["model"] == sticky["model"] == "google/gemini-3.1-pro-preview"
    assert fresh["model"] == "openai/gpt-5.4"


def test_frontier_shift_changes_the_answer_over_http(
    client: httpx.Client, clock: FakeClock
) -> None:
    models = []
    for _ in range(4):
        models.append(client.post(URL, json=chat_body(score=0.5)).json()["model"])
        clock.advance(60.0)
    assert models == [
        "minimax/minimax-m2.1",
        "minimax/minimax-m2.1",
        "z-ai/glm-4.7",
        "deepseek/deepseek-v3.2",
    ]


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="missing"),
        pytest.param({"Authorization": "Bearer wrong-key"}, id="wrong-key"),
        pytest.param({"Authorization": "Basic abc"}, id="not-bearer"),
        pytest.param({"Authorization": "Bearer"}, id="no-token"),
    ],
)
def test_bad_credentials_get_401(sim: SimServer, headers: dict[str, str]) -> None:
    with httpx.Client(base_url=sim.base_url) as c:
        response = c.post(URL, json=chat_body(), headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == 401


def test_server_without_a_key_accepts_any_bearer_but_requires_one() -> None:
    with SimServer() as sim, httpx.Client(base_url=sim.base_url) as c:
        ok = c.post(URL, json=chat_body(), headers={"Authorization": "Bearer anything"})
        missing = c.post(URL, json=chat_body())
    assert ok.status_code == 200
    assert missing.status_code == 401


BAD_BODIES: list[Any] = [
    pytest.param(b"{not json", "body", id="not-json"),
    pytest.param(b"[1, 2]", "body", id="not-an-object"),
    pytest.param({"messages": [{"role": "user", "content": "x"}]}, "model", id="no-model"),
    pytest.param({"model": "openai/gpt-5.4"}, "messages", id="no-messages"),
    pytest.param({"model": "openai/gpt-5.4", "messages": []}, "messages", id="empty-messages"),
    pytest.param({"model": "openai/gpt-5.4", "messages": "hi"}, "messages", id="messages-str"),
    pytest.param(
        {"model": "openai/gpt-5.4", "messages": [{"role": "robot", "content": "x"}]},
        "messages[0].role",
        id="bad-role",
    ),
    pytest.param(
        {"model": "openai/gpt-5.4", "messages": [{"role": "user"}]},
        "messages[0].content",
        id="no-content",
    ),
    pytest.param(
        {"model": "openai/gpt-5.4", "messages": [{"role": "user", "content": 5}]},
        "messages[0].content",
        id="content-number",
    ),
    pytest.param(chat_body(plugins={"id": "pareto-router"}), "plugins", id="plugins-not-list"),
    pytest.param(chat_body(plugins=[{"min_coding_score": 0.5}]), "plugins[0]", id="plugin-no-id"),
    pytest.param(chat_body(score=1.5), "min_coding_score", id="score-above-1"),
    pytest.param(chat_body(score=-0.1), "min_coding_score", id="score-below-0"),
    pytest.param(
        chat_body(plugins=[{"id": "pareto-router", "min_coding_score": "high"}]),
        "min_coding_score",
        id="score-string",
    ),
    pytest.param(chat_body(stream="yes"), "stream", id="stream-not-bool"),
    pytest.param(chat_body(max_tokens=0), "max_tokens", id="max-tokens-zero"),
    pytest.param(chat_body(temperature=3), "temperature", id="temperature-high"),
    pytest.param(chat_body(session_id=12), "session_id", id="session-not-string"),
]


@pytest.mark.parametrize(("body", "field"), BAD_BODIES)
def test_invalid_bodies_get_400_naming_the_field(
    client: httpx.Client, body: Any, field: str
) -> None:
    if isinstance(body, bytes):
        response = client.post(URL, content=body, headers={"Content-Type": "application/json"})
    else:
        response = client.post(URL, json=body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == 400
    assert field in error["message"]


def test_valid_message_shapes_are_accepted(client: httpx.Client) -> None:
    messages = [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": [{"type": "text", "text": "hello parts"}]},
        {"role": "assistant", "content": None, "tool_calls": [{"id": "t1"}]},
        {"role": "tool", "content": "42", "tool_call_id": "t1"},
        {"role": "user", "content": "and now?"},
    ]
    response = client.post(URL, json={"model": "openai/gpt-5.4", "messages": messages})
    assert response.status_code == 200


def test_every_request_is_recorded_with_headers_and_body(
    client: httpx.Client, sim: SimServer
) -> None:
    request = chat_body(score=0.5)
    client.post(URL, json=request, headers={"HTTP-Referer": "https://example.test"})
    client.get("/models")
    recorded = sim.requests
    assert [(r.method, r.path) for r in recorded] == [
        ("POST", "/api/v1/chat/completions"),
        ("GET", "/api/v1/models"),
    ]
    first = recorded[0]
    assert first.headers["authorization"] == f"Bearer {API_KEY}"
    assert first.headers["http-referer"] == "https://example.test"
    assert first.body == request
    assert b"pareto-router" in first.raw
    sim.clear_requests()
    assert sim.requests == []


def test_many_concurrent_keep_alive_clients_are_all_answered(sim: SimServer) -> None:
    limits = httpx.Limits(max_connections=32, max_keepalive_connections=32)
    headers = {"Authorization": f"Bearer {API_KEY}"}
    with httpx.Client(base_url=sim.base_url, headers=headers, limits=limits) as c:

        def call(i: int) -> str:
            response = c.post(URL, json=chat_body(f"task {i}", score=0.2))
            response.raise_for_status()
            return str(response.json()["model"])

        with concurrent.futures.ThreadPoolExecutor(max_workers=32) as pool:
            models = list(pool.map(call, range(200)))
    assert models == ["deepseek/deepseek-v3.2"] * 200
    assert len(sim.requests) == 200


async def test_async_client_can_reuse_connections(sim: SimServer) -> None:
    headers = {"Authorization": f"Bearer {API_KEY}"}
    async with httpx.AsyncClient(base_url=sim.base_url, headers=headers) as c:
        for _ in range(5):
            response = await c.post(URL, json=chat_body(score=0.8))
            assert response.status_code == 200
    assert len(sim.requests) == 5


def test_chunked_request_body_is_read(client: httpx.Client) -> None:
    payload = json.dumps(chat_body(score=0.2)).encode()

    def pieces() -> Iterator[bytes]:
        yield payload[:10]
        yield payload[10:]

    response = client.post(URL, content=pieces(), headers={"Content-Type": "application/json"})
    assert response.json()["model"] == "deepseek/deepseek-v3.2"


def test_malformed_content_length_is_a_400(sim: SimServer) -> None:
    request = (
        b"POST /api/v1/chat/completions HTTP/1.1\r\nHost: x\r\n"
        b"Authorization: Bearer " + API_KEY.encode() + b"\r\nContent-Length: abc\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", sim.port), timeout=10) as conn:
        conn.sendall(request)
        with conn.makefile("rb") as reader:
            status_line = reader.readline()
    assert status_line.startswith(b"HTTP/1.1 400")
