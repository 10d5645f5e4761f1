"""Parse and validate a chat completions request body the way OpenRouter does (pure)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from openrouter_sim.frontier import MaxPrice

ROLES = frozenset({"system", "developer", "user", "assistant", "tool"})
PARETO_PLUGIN_ID = "pareto-router"
MAX_SESSION_ID_CHARS = 256


class BadRequest(ValueError):
    """A 400: the message names the offending field."""


@dataclass(frozen=True)
class ParetoOptions:
    enabled: bool = True
    min_coding_score: float | None = None
    max_price: MaxPrice | None = None
    price_source: str | None = None


@dataclass(frozen=True)
class ChatRequest:
    model: str
    messages: tuple[Mapping[str, Any], ...]
    stream: bool = False
    session_id: str | None = None
    max_tokens: int | None = None
    pareto: ParetoOptions | None = None


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def parse_json_body(raw: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw.decode("utf-8")) if raw else None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadRequest(f"body: invalid JSON ({exc})") from exc
    if not isinstance(body, dict):
        raise BadRequest("body: must be a JSON object")
    return body


def _validate_message(i: int, message: object) -> Mapping[str, Any]:
    where = f"messages[{i}]"
    if not isinstance(message, dict):
        raise BadRequest(f"{where}: must be an object with role and content")
    role = message.get("role")
    if role not in ROLES:
        raise BadRequest(f"{where}.role: must be one of {sorted(ROLES)}, got {role!r}")
    if "content" not in message:
        raise BadRequest(f"{where}.content: required")
    content = message["content"]
    if content is None:
        if not (role == "assistant" and message.get("tool_calls")):
            raise BadRequest(f"{where}.content: null only allowed with assistant tool_calls")
    elif isinstance(content, list):
        for j, part in enumerate(content):
            if not isinstance(part, dict) or not isinstance(part.get("type"), str):
                raise BadRequest(f"{where}.content[{j}]: must be an object with a type")
    elif not isinstance(content, str):
        raise BadRequest(f"{where}.content: must be a string or an array of parts")
    return message


def _parse_max_price(value: object) -> MaxPrice:
    if isinstance(value, int | float) and not isinstance(value, bool):
        if value < 0:
            raise BadRequest("plugins.pareto-router.max_price: must be >= 0")
        return MaxPrice(prompt_per_m=float(value))
    if isinstance(value, dict):
        caps: dict[str, float] = {}
        for key in ("prompt", "completion"):
            cap = value.get(key)
            if cap is None:
                continue
            if not _is_number(cap) or cap < 0:
                raise BadRequest(f"plugins.pareto-router.max_price.{key}: must be a number >= 0")
            caps[key] = float(cap)
        return MaxPrice(caps.get("prompt"), caps.get("completion"))
    raise BadRequest("plugins.pareto-router.max_price: must be a number or an object")


def _parse_plugins(value: object) -> ParetoOptions | None:
    if not isinstance(value, list):
        raise BadRequest("plugins: must be an array")
    pareto: ParetoOptions | None = None
    for i, plugin in enumerate(value):
        if not isinstance(plugin, dict) or not isinstance(plugin.get("id"), str):
            raise BadRequest(f"plugins[{i}]: must be an object with a string id")
        if plugin["id"] != PARETO_PLUGIN_ID:
            continue
        enabled = plugin.get("enabled", True)
        if not isinstance(enabled, bool):
            raise BadRequest("plugins.pareto-router.enabled: must be a boolean")
        score = plugin.get("min_coding_score")
        if score is not None and (not _is_number(score) or not 0 <= score <= 1):
            raise BadRequest("plugins.pareto-router.min_coding_score: must be a number in 0..1")
        price_source = plugin.get("price_source")
        if price_source is not None and not isinstance(price_source, str):
            raise BadRequest("plugins.pareto-router.price_source: must be a string")
        max_price = plugin.get("max_price")
        pareto = ParetoOptions(
            enabled=enabled,
            min_coding_score=None if score is None else float(score),
            max_price=None if max_price is None else _parse_max_price(max_price),
            price_source=price_source,
        )
    return pareto


def parse_chat_request(body: Mapping[str, Any], header_session_id: str | None) -> ChatRequest:
    """Validate a parsed body; raises BadRequest naming the field."""
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise BadRequest("model: required, a non-empty string")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise BadRequest("messages: required, a non-empty array of {role, content}")
    checked = tuple(_validate_message(i, m) for i, m in enumerate(messages))
    stream = body.get("stream", False)
    if not isinstance(stream, bool):
        raise BadRequest("stream: must be a boolean")
    max_tokens = body.get("max_tokens")
    if max_tokens is not None and (
        isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens < 1
    ):
        raise BadRequest("max_tokens: must be an integer >= 1")
    temperature = body.get("temperature")
    if temperature is not None and (not _is_number(temperature) or not 0 <= temperature <= 2):
        raise BadRequest("temperature: must be a number in 0..2")
    session_id = body.get("session_id", header_session_id)
    if session_id is not None and (
        not isinstance(session_id, str) or len(session_id) > MAX_SESSION_ID_CHARS
    ):
        raise BadRequest(f"session_id: must be a string of at most {MAX_SESSION_ID_CHARS} chars")
    plugins = body.get("plugins")
    pareto = None if plugins is None else _parse_plugins(plugins)
    return ChatRequest(
        model=model,
        messages=checked,
        stream=stream,
        session_id=session_id or None,
        max_tokens=max_tokens,
        pareto=pareto,
    )
