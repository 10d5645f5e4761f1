"""Split an SSE body into comments, JSON events and the [DONE] marker (pure; for tests)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass
class SseStream:
    comments: list[str] = field(default_factory=list)  # comment text without the leading ":"
    events: list[dict[str, Any]] = field(default_factory=list)  # parsed `data:` JSON objects
    done: bool = False  # a `data: [DONE]` line was seen
    order: list[str] = field(default_factory=list)  # "comment" / "event" / "done", as received

    @property
    def content(self) -> str:
        """Concatenated choices[0].delta.content of all events."""
        return "".join(
            (e.get("choices") or [{}])[0].get("delta", {}).get("content") or "" for e in self.events
        )


def parse_sse(text: str) -> SseStream:
    """Parse one `data:` line per event, as OpenRouter sends them."""
    stream = SseStream()
    for line in text.splitlines():
        if not line:
            continue
        if line.startswith(":"):
            stream.comments.append(line[1:].strip())
            stream.order.append("comment")
        elif line.startswith("data:"):
            data = line[len("data:") :].strip()
            if data == "[DONE]":
                stream.done = True
                stream.order.append("done")
            else:
                stream.events.append(json.loads(data))
                stream.order.append("event")
    return stream
