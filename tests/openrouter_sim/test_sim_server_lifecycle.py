from __future__ import annotations

import threading
import time

import httpx
import pytest
from sim_support import API_KEY, chat_body

from openrouter_sim import Fault, SimServer

AUTH = {"Authorization": f"Bearer {API_KEY}"}
WAIT_S = 10.0  # upper bound for background steps on a busy machine


def _handler_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if "process_request_thread" in t.name]


def _wait_until_recorded(sim: SimServer, count: int) -> None:
    deadline = time.monotonic() + WAIT_S
    while len(sim.requests) < count:
        assert time.monotonic() < deadline, "request never reached the simulator"
        time.sleep(0.01)


def test_stop_closes_idle_keep_alive_connections_and_joins_threads() -> None:
    sim = SimServer(api_key=API_KEY).start()
    with httpx.Client(base_url=sim.base_url, headers=AUTH) as client:
        assert client.post("/chat/completions", json=chat_body()).status_code == 200
        assert _handler_threads()  # the keep-alive connection holds a handler thread
        sim.stop()
        assert _handler_threads() == []
        with pytest.raises(httpx.TransportError):
            client.post("/chat/completions", json=chat_body())


def test_stop_interrupts_a_response_held_by_a_slow_fault() -> None:
    sim = SimServer(api_key=API_KEY).start()
    sim.inject(Fault(kind="slow_headers", delay_s=600.0))
    outcome: list[BaseException | int] = []

    def call() -> None:
        with httpx.Client(base_url=sim.base_url, headers=AUTH, timeout=WAIT_S * 6) as client:
            try:
                outcome.append(client.post("/chat/completions", json=chat_body()).status_code)
            except httpx.TransportError as exc:
                outcome.append(exc)

    caller = threading.Thread(target=call)
    caller.start()
    _wait_until_recorded(sim, 1)
    sim.stop()
    caller.join(WAIT_S)
    assert not caller.is_alive()
    assert len(outcome) == 1
    assert isinstance(outcome[0], httpx.TransportError)
    assert _handler_threads() == []


def test_stop_is_idempotent_and_a_server_starts_only_once() -> None:
    sim = SimServer().start()
    with pytest.raises(RuntimeError, match="already started"):
        sim.start()
    sim.stop()
    sim.stop()
    with pytest.raises(RuntimeError, match="not running"):
        _ = sim.base_url


def test_latency_is_added_before_answering() -> None:
    with (
        SimServer(api_key=API_KEY, latency_s=5.0) as sim,
        httpx.Client(base_url=sim.base_url, headers=AUTH) as client,
        pytest.raises(httpx.ReadTimeout),
    ):
        client.post("/chat/completions", json=chat_body(), timeout=httpx.Timeout(5, read=0.2))


def test_negative_delays_are_rejected() -> None:
    with pytest.raises(ValueError, match="latency_s"):
        SimServer(latency_s=-1.0)
