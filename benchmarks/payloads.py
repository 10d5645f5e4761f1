"""Request bodies shared by every gateway, written to files ahead of the load.

The seat is the Pareto seat at the balanced tier, so the router injects
``plugins=[{"id": "pareto-router", "min_coding_score": 0.5}]``; LiteLLM's config injects the
same plugin body and the Portkey request carries it in the body (Portkey has no injection).
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

from llmcouncil.router.v1 import router_service_pb2

PARETO_MODEL = "openrouter/pareto-code"
PLUGIN = {"id": "pareto-router", "min_coding_score": 0.5}
PROMPT = "Write a Python function add(a, b) that returns the sum. Answer with code only."
SESSION_ID = "bench-session-0001"
SEAT_ID = "pareto"
GRPC_PATH = "/llmcouncil.router.v1.RouterService/RouteSeat"
GRPC_HEADERS = ("content-type: application/grpc", "te: trailers")
JSON_HEADERS = ("content-type: application/json",)
POOL = ["anthropic/claude-sonnet-4.5", "openai/gpt-5", "google/gemini-2.5-pro"]


def route_seat_request() -> router_service_pb2.RouteSeatRequest:
    return router_service_pb2.RouteSeatRequest(
        model=PARETO_MODEL,
        tier=router_service_pb2.TIER_BALANCED,
        messages=[router_service_pb2.ChatMessage(role="user", content=PROMPT)],
        session_id=SESSION_ID,
        seat_id=SEAT_ID,
        pool_models=POOL,
    )


def grpc_frame(message: bytes) -> bytes:
    """gRPC length-prefixed message: flag 0 (uncompressed), 4-byte big-endian length."""
    return struct.pack(">BI", 0, len(message)) + message


def chat_body(with_plugin: bool) -> dict[str, object]:
    """The OpenAI-shaped JSON body a client sends to an HTTP gateway."""
    body: dict[str, object] = {
        "model": PARETO_MODEL,
        "messages": [{"role": "user", "content": PROMPT}],
        "session_id": SESSION_ID,
    }
    if with_plugin:
        body["plugins"] = [PLUGIN]
    return body


def write_all(out_dir: Path) -> dict[str, Path]:
    """Write every body file; returns them by name."""
    out_dir.mkdir(parents=True, exist_ok=True)
    raw = route_seat_request().SerializeToString()
    files = {
        "grpc_framed": out_dir / "route_seat.grpc",
        "grpc_raw": out_dir / "route_seat.bin",
        "json_plain": out_dir / "chat.json",
        "json_plugin": out_dir / "chat_plugin.json",
    }
    files["grpc_framed"].write_bytes(grpc_frame(raw))
    files["grpc_raw"].write_bytes(raw)
    files["json_plain"].write_text(json.dumps(chat_body(with_plugin=False)))
    files["json_plugin"].write_text(json.dumps(chat_body(with_plugin=True)))
    return files
