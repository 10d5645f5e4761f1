from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from sim_support import API_KEY, chat_body

from openrouter_sim import Fault, SimServer
from openrouter_sim.sse_parse import parse_sse

URL = "/chat/completions"


@pytest.fixture
def fresh_client(sim: SimServer) -> Iterator[httpx.Client]:
    """No keep-alive reuse, so a reset on one request cannot leak into the next."""
    limits = httpx.Limits(max_keepalive_connections=0)
    with httpx.Client(
        base_url=sim.base_url,
        headers={"Authorization": f"Bearer {API_KEY}"},
        limits=limits,
        timeout=10.0,
    ) as c:
        yield c


def test_http_error_429_sends_status_retry_after_and_error_body(
    sim: SimServer, client: httpx.Client
) -> None:
    sim.inject(Fault(kind="http_error", status=429, retry_after_s=1.0, count=1))
    response = client.post(URL, json=chat_body())
    assert response.status_code == 429
    assert response.headers["retry-after"] == "1"
    assert response.json()["error"]["code"] == 429
    assert response.json()["error"]["message"]
    assert client.post(URL, json=chat_body()).status_code == 200  # count=1: used up


def test_retry_after_is_rounded_up_to_whole_seconds(sim: SimServer, client: httpx.Client) -> None:
    sim.inject(Fault(kind="http_error", status=503, retry_after_s=2.2))
    response = client.post(URL, json=chat_body())
    assert (response.status_code, response.headers["retry-after"]) == (503, "3")


@pytest.mark.parametrize(
    "status", [pytest.param(s, id=str(s)) for s in (400, 401, 402, 404, 408, 500, 502, 503)]
)
def test_http_error_statuses_carry_code_message_and_metadata(
    sim: SimServer, client: httpx.Client, status: int
) -> None:
    sim.inject(
        Fault(kind="http_error", status=status, message=f"sim {status}", metadata={"k": "v"})
    )
    response = client.post(URL, json=chat_body())
    assert response.status_code == status
    assert "retry-after" not in response.headers
    assert response.json() == {
        "error": {"code": status, "message": f"sim {status}", "metadata": {"k": "v"}}
    }


def test_http_error_403_carries_moderation_metadata(sim: SimServer, client: httpx.Client) -> None:
    sim.inject(Fault(kind="http_error", status=403))
    error = client.post(URL, json=chat_body()).json()["error"]
    assert error["code"] == 403
    assert set(error["metadata"]) >= {"reasons", "flagged_input", "provider_name"}
    assert isinstance(error["metadata"]["reasons"], list)


def test_reset_is_a_connection_reset_before_any_answer(
    sim: SimServer, fresh_client: httpx.Client
) -> None:
    sim.inject(Fault(kind="reset"))
    with pytest.raises(httpx.ReadError):
        fresh_client.post(URL, json=chat_body())
    assert fresh_client.post(URL, json=chat_body()).status_code == 200


def test_reset_mid_body_sends_headers_then_breaks(
    sim: SimServer, fresh_client: httpx.Client
) -> None:
    sim.inject(Fault(kind="reset_mid_body"))
    with fresh_client.stream("POST", URL, json=chat_body()) as response:
        assert response.status_code == 200
        with pytest.raises(httpx.ReadError):
            response.read()


def test_reset_mid_stream_breaks_after_some_deltas(
    sim: SimServer, fresh_client: httpx.Client
) -> None:
    sim.inject(Fault(kind="reset_mid_body"))
    received: list[str] = []
    with (
        fresh_client.stream("POST", URL, json=chat_body(stream=True)) as response,
        pytest.raises(httpx.ReadError),
    ):
        received.extend(response.iter_lines())
    assert any(line.startswith("data: {") for line in received)
    assert "data: [DONE]" not in received


def test_truncated_json_is_a_200_whose_body_does_not_parse(
    sim: SimServer, client: httpx.Client
) -> None:
    sim.inject(Fault(kind="truncated_json"))
    response = client.post(URL, json=chat_body())
    assert response.status_code == 200
    assert response.text.startswith('{"id":"gen-')
    with pytest.raises(json.JSONDecodeError):
        response.json()


def test_non_json_is_a_200_html_page(sim: SimServer, client: httpx.Client) -> None:
    sim.inject(Fault(kind="non_json"))
    response = client.post(URL, json=chat_body())
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.text.startswith("<html>")


def test_slow_headers_holds_back_the_status_line(sim: SimServer, client: httpx.Client) -> None:
    sim.inject(Fault(kind="slow_headers", delay_s=5.0))
    with pytest.raises(httpx.ReadTimeout):
        client.post(URL, json=chat_body(), timeout=httpx.Timeout(10.0, read=0.2))


def test_slow_headers_answers_normally_after_the_delay(
    sim: SimServer, client: httpx.Client
) -> None:
    sim.inject(Fault(kind="slow_headers", delay_s=0.1))
    response = client.post(URL, json=chat_body(score=0.2))
    assert response.json()["model"] == "deepseek/deepseek-v3.2"


def test_slow_body_sends_headers_first_then_trickles(sim: SimServer, client: httpx.Client) -> None:
    sim.inject(Fault(kind="slow_body", delay_s=5.0))
    timeout = httpx.Timeout(10.0, read=1.0)
    with client.stream("POST", URL, json=chat_body(), timeout=timeout) as response:
        assert response.status_code == 200  # headers arrived within the read timeout
        first = next(response.iter_raw())
        assert first.startswith(b'{"id":"gen-')


def test_slow_body_completes_with_the_whole_body(sim: SimServer, client: httpx.Client) -> None:
    sim.inject(Fault(kind="slow_body", delay_s=0.2))
    response = client.post(URL, json=chat_body(score=0.5))
    assert response.json()["model"] == "minimax/minimax-m2.1"


def test_sse_cut_ends_the_stream_without_usage_or_done(
    sim: SimServer, client: httpx.Client
) -> None:
    sim.inject(Fault(kind="sse_cut"))
    with client.stream("POST", URL, json=chat_body(stream=True)) as response:
        sse = parse_sse(response.read().decode())
    assert response.status_code == 200
    assert sse.events
    assert sse.content
    assert not sse.done
    assert not any("usage" in e for e in sse.events)
    assert all(e["choices"][0]["finish_reason"] is None for e in sse.events)


def test_stream_error_sends_an_error_chunk_then_done(sim: SimServer, client: httpx.Client) -> None:
    sim.inject(Fault(kind="stream_error", message="upstream overloaded"))
    with client.stream("POST", URL, json=chat_body(stream=True)) as response:
        sse = parse_sse(response.read().decode())
    assert response.status_code == 200
    assert sse.done
    last = sse.events[-1]
    assert last["error"] == {"code": 502, "message": "upstream overloaded"}
    assert last["choices"][0]["finish_reason"] == "error"
    assert sse.events[0]["choices"][0]["delta"]["content"]  # deltas came before the error


def test_stream_only_faults_wait_for_a_stream_request(sim: SimServer, client: httpx.Client) -> None:
    sim.inject(Fault(kind="sse_cut"))
    assert client.post(URL, json=chat_body()).status_code == 200
    with client.stream("POST", URL, json=chat_body(stream=True)) as response:
        assert not parse_sse(response.read().decode()).done


def test_faults_apply_in_fifo_order_with_counts(sim: SimServer, client: httpx.Client) -> None:
    sim.inject(Fault(kind="http_error", status=502, count=2))
    sim.inject(Fault(kind="http_error", status=429))
    statuses = [client.post(URL, json=chat_body()).status_code for _ in range(4)]
    assert statuses == [502, 502, 429, 200]


def test_unlimited_fault_lasts_until_cleared(sim: SimServer, client: httpx.Client) -> None:
    sim.inject(Fault(kind="http_error", status=503, count=-1))
    assert [client.post(URL, json=chat_body()).status_code for _ in range(3)] == [503] * 3
    sim.clear_faults()
    assert client.post(URL, json=chat_body()).status_code == 200


def test_fault_for_one_model_spares_other_models(sim: SimServer, client: httpx.Client) -> None:
    sim.inject(Fault(kind="http_error", status=502, model="openai/gpt-5.4"))
    assert client.post(URL, json=chat_body(model="z-ai/glm-4.6")).status_code == 200
    assert client.post(URL, json=chat_body(model="openai/gpt-5.4")).status_code == 502


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        pytest.param({"kind": "explode"}, "kind", id="unknown-kind"),
        pytest.param({"kind": "http_error"}, "status", id="http-error-without-status"),
        pytest.param({"kind": "http_error", "status": 418}, "status", id="unsupported-status"),
        pytest.param({"kind": "reset", "status": 500}, "status", id="status-on-reset"),
        pytest.param({"kind": "reset", "count": 0}, "count", id="zero-count"),
        pytest.param({"kind": "slow_body", "delay_s": -1}, "delay_s", id="negative-delay"),
    ],
)
def test_invalid_faults_are_rejected_naming_the_field(
    fields: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        Fault.from_json(fields)
