"""The log of every request the simulator received (bounded, thread-safe)."""

from __future__ import annotations

import base64
import threading
from collections import deque
from dataclasses import dataclass
from typing import Any

MAX_RECORDED = 100_000  # requests kept; older ones are dropped and counted


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str  # as sent, including any query string
    headers: dict[str, str]  # lower-case names
    body: Any  # parsed JSON (usually a dict), or None when the body is empty or not JSON
    raw: bytes
    time: float  # sim clock, epoch seconds

    def to_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "headers": self.headers,
            "body": self.body,
            "raw_base64": base64.b64encode(self.raw).decode("ascii"),
            "time": self.time,
        }


class RequestLog:
    def __init__(self, limit: int = MAX_RECORDED) -> None:
        self._items: deque[RecordedRequest] = deque(maxlen=limit)
        self._lock = threading.Lock()
        self.dropped = 0

    def add(self, request: RecordedRequest) -> None:
        with self._lock:
            if len(self._items) == self._items.maxlen:
                self.dropped += 1
            self._items.append(request)

    def snapshot(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
