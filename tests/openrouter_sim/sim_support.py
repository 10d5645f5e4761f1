"""Shared test support: a fake clock and request bodies."""

from __future__ import annotations

from typing import Any

API_KEY = "sk-sim-test"
START = 1_800_000_000.0  # fake clock origin, epoch seconds


class FakeClock:
    """A settable clock in epoch seconds, injected into SimServer."""

    def __init__(self, start: float = START) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def chat_body(
    content: str = "write a sorting function",
    model: str = "openrouter/pareto-code",
    score: float | None = None,
    **extra: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {"model": model, "messages": [{"role": "user", "content": content}]}
    if score is not None:
        body["plugins"] = [{"id": "pareto-router", "min_coding_score": score}]
    body.update(extra)
    return body
