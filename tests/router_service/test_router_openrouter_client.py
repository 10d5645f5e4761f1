"""Client paths the simulator cannot produce: a 200 that carries an error body.

httpx.MockTransport stands in for OpenRouter here only because no real server sends
this shape on demand; everything else is tested against the simulator.
"""

from __future__ import annotations

import json

import grpc
import httpx
import pytest

from router_service.config import Secret
from router_service.errors import UpstreamHTTPError
from router_service.openrouter_client import CallState, Deadline, OpenRouterClient, RetryPolicy

OK_BODY: dict[str, object] = {
    "id": "gen-1",
    "model": "qwen/qwen3-coder",
    "choices": [{"message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}],
}


async def no_sleep(seconds: float) -> None:
    return None


def client_for(
    answers: list[dict[str, object]],
    seen: list[httpx.Request],
) -> tuple[OpenRouterClient, httpx.AsyncClient]:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=json.dumps(answers[len(seen) - 1]).encode())

    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    client = OpenRouterClient(
        http,
        base_url="http://upstream.test/api/v1",
        api_key=Secret("sk-x"),
        app_url="https://example.org",
        app_title="t",
        retry=RetryPolicy(max_attempts=3),
        sleep=no_sleep,
    )
    return client, http


async def test_error_body_with_retryable_code_is_retried() -> None:
    seen: list[httpx.Request] = []
    client, http = client_for([{"error": {"code": 502, "message": "down"}}, OK_BODY], seen)
    state = CallState()
    completion = await client.complete({"model": "m"}, Deadline(10.0), state)
    assert completion.content == "ok" and state.attempts == 2 and len(seen) == 2
    await http.aclose()


async def test_error_body_with_client_error_code_is_not_retried() -> None:
    seen: list[httpx.Request] = []
    client, http = client_for([{"error": {"code": 400, "message": "bad"}}], seen)
    with pytest.raises(UpstreamHTTPError) as caught:
        await client.complete({"model": "m"}, Deadline(10.0), CallState())
    assert caught.value.code == grpc.StatusCode.INVALID_ARGUMENT
    assert len(seen) == 1
    await http.aclose()
