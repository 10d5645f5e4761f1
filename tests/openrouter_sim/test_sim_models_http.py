from __future__ import annotations

from typing import Any

import httpx
from sim_support import FakeClock

from openrouter_sim import SimServer


def _by_id(client: httpx.Client) -> dict[str, dict[str, Any]]:
    response = client.get("/models")
    assert response.status_code == 200
    return {m["id"]: m for m in response.json()["data"]}


def test_models_lists_the_catalog_with_pricing_strings_and_coding_index(
    client: httpx.Client,
) -> None:
    models = _by_id(client)
    gpt = models["openai/gpt-5.4"]
    assert gpt["pricing"]["prompt"] == "0.0000025"
    assert gpt["pricing"]["completion"] == "0.000015"
    assert gpt["benchmarks"]["artificial_analysis"]["coding_index"] == 81
    assert gpt["context_length"] == 400_000
    assert isinstance(gpt["created"], int)
    assert gpt["name"]


def test_models_needs_no_auth(sim: SimServer) -> None:
    with httpx.Client(base_url=sim.base_url) as c:
        assert c.get("/models").status_code == 200


def test_models_lists_the_pareto_routers_with_variable_price(client: httpx.Client) -> None:
    models = _by_id(client)
    for router in ("openrouter/pareto-code", "openrouter/pareto-code:nitro"):
        assert models[router]["pricing"]["prompt"] == "-1"
        assert "benchmarks" not in models[router]


def test_models_change_with_the_epoch(client: httpx.Client, clock: FakeClock) -> None:
    before = _by_id(client)
    clock.advance(60.0)  # epoch 1: gpt-5.4 price cut
    after = _by_id(client)
    assert before["openai/gpt-5.4"]["pricing"]["prompt"] == "0.0000025"
    assert after["openai/gpt-5.4"]["pricing"]["prompt"] == "0.00000125"
    clock.advance(60.0)  # epoch 2: glm-4.7 lands
    assert "z-ai/glm-4.7" not in after
    assert "z-ai/glm-4.7" in _by_id(client)
    clock.advance(60.0)  # epoch 3: deepseek's coding index rises
    deepseek = _by_id(client)["deepseek/deepseek-v3.2"]
    assert deepseek["benchmarks"]["artificial_analysis"]["coding_index"] == 60


def test_unknown_api_path_is_a_404_error_body(client: httpx.Client) -> None:
    response = client.get("/nope")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == 404


def test_wrong_method_is_a_405(client: httpx.Client) -> None:
    assert client.get("/chat/completions").status_code == 405
    assert client.post("/models", json={}).status_code == 405
