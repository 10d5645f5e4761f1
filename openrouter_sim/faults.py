"""Injectable faults and the thread-safe FIFO queue that hands them to chat requests."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, cast, get_args

FaultKind = Literal[
    "http_error",
    "reset",
    "reset_mid_body",
    "slow_headers",
    "slow_body",
    "truncated_json",
    "non_json",
    "sse_cut",
    "stream_error",
]
FAULT_KINDS: frozenset[str] = frozenset(get_args(FaultKind))
# Faults that only make sense on an SSE stream; a non-stream request leaves them queued.
STREAM_ONLY_KINDS = frozenset({"sse_cut", "stream_error"})
HTTP_ERROR_STATUSES = frozenset({400, 401, 402, 403, 404, 408, 429, 500, 502, 503})
DEFAULT_MESSAGES: Mapping[int, str] = {
    400: "Bad Request",
    401: "User not found.",
    402: "Insufficient credits. Add more using https://openrouter.ai/credits",
    403: "Input flagged by moderation.",
    404: "No endpoints found for this model.",
    408: "Request timed out.",
    429: "Rate limit exceeded: free-models-per-min.",
    500: "Internal Server Error",
    502: "Provider returned error",
    503: "No available model provider that meets your routing requirements.",
}
DEFAULT_DELAY_S = 1.0


@dataclass(frozen=True)
class Fault:
    """One fault; `count=-1` applies to every matching request until cleared.

    `model` restricts the fault to requests for that requested model id. `delay_s` (seconds)
    is used by slow_headers and slow_body. `status`, `message`, `metadata` and
    `retry_after_s` (seconds, sent as the Retry-After header) are for http_error;
    `message` is also the text of a stream_error chunk.
    """

    kind: FaultKind
    count: int = 1
    status: int | None = None
    message: str | None = None
    metadata: dict[str, Any] | None = None
    retry_after_s: float | None = None
    delay_s: float = DEFAULT_DELAY_S
    model: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"kind: unknown fault kind {self.kind!r}")
        if self.count == 0 or self.count < -1:
            raise ValueError("count: must be a positive number of requests, or -1 for all")
        if self.kind == "http_error":
            if self.status not in HTTP_ERROR_STATUSES:
                raise ValueError(f"status: http_error needs one of {sorted(HTTP_ERROR_STATUSES)}")
        elif self.status is not None:
            raise ValueError("status: only http_error takes a status")
        if self.retry_after_s is not None and self.retry_after_s < 0:
            raise ValueError("retry_after_s: must be >= 0 seconds")
        if self.delay_s < 0:
            raise ValueError("delay_s: must be >= 0 seconds")

    @property
    def error_message(self) -> str:
        if self.message is not None:
            return self.message
        if self.kind == "stream_error":
            return "Provider returned error"
        return DEFAULT_MESSAGES.get(self.status or 500, "Error")

    @property
    def error_metadata(self) -> dict[str, Any] | None:
        if self.metadata is not None:
            return self.metadata
        if self.status == 403:
            # OpenRouter's moderation metadata shape.
            return {
                "reasons": ["violence"],
                "flagged_input": "simulated flagged input",
                "provider_name": "Sim Moderation",
                "model_slug": self.model or "openrouter/pareto-code",
            }
        return None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: object) -> Fault:
        """Build from a JSON object (control API); ValueError names the bad field."""
        if not isinstance(data, dict):
            raise ValueError("fault: must be a JSON object")
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"{sorted(unknown)[0]}: unknown fault field")
        if "kind" not in data:
            raise ValueError("kind: required")
        _check_types(data)
        return cls(**cast(dict[str, Any], data))


def _check_types(data: Mapping[str, Any]) -> None:
    numbers = ("retry_after_s", "delay_s")
    for name in ("count", "status"):
        value = data.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise ValueError(f"{name}: must be an integer")
    for name in numbers:
        value = data.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise ValueError(f"{name}: must be a number of seconds")
    for name in ("kind", "message", "model"):
        value = data.get(name)
        if value is not None and not isinstance(value, str):
            raise ValueError(f"{name}: must be a string")
    if data.get("metadata") is not None and not isinstance(data["metadata"], dict):
        raise ValueError("metadata: must be an object")


@dataclass
class _Queued:
    fault: Fault
    remaining: int  # -1: unlimited


@dataclass
class FaultQueue:
    """FIFO of faults; each matching chat request consumes one use of the first match."""

    _items: list[_Queued] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def push(self, fault: Fault) -> None:
        with self._lock:
            self._items.append(_Queued(fault, fault.count))

    def take(self, model: str | None, stream: bool) -> Fault | None:
        with self._lock:
            for i, item in enumerate(self._items):
                if item.fault.model is not None and item.fault.model != model:
                    continue
                if item.fault.kind in STREAM_ONLY_KINDS and not stream:
                    continue
                if item.remaining > 0:
                    item.remaining -= 1
                    if item.remaining == 0:
                        del self._items[i]
                return item.fault
            return None

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def pending(self) -> list[dict[str, Any]]:
        with self._lock:
            return [{**q.fault.to_json(), "remaining": q.remaining} for q in self._items]
