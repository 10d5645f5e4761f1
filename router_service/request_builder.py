"""Pure construction of the OpenRouter chat-completions body for one seat.

`build_seat_call(request, tiers, stream=...)` takes a validated RouteSeatRequest and
returns a `SeatCall`: the JSON body plus what the router decided (requested model after
`:nitro` folding, the Pareto plugin and its band, the time budget, the pool used for
duplicate detection). No I/O.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from google.protobuf import json_format, struct_pb2
from llmcouncil.router.v1 import router_service_pb2 as pb

from router_service.tiers import TIER_NAMES, TierTable, band_for, split_variant
from router_service.validation import RESERVED_BODY_KEYS

NITRO = "nitro"

REASONING_EFFORTS: dict[int, str] = {
    pb.REASONING_EFFORT_NONE: "none",
    pb.REASONING_EFFORT_MINIMAL: "minimal",
    pb.REASONING_EFFORT_LOW: "low",
    pb.REASONING_EFFORT_MEDIUM: "medium",
    pb.REASONING_EFFORT_HIGH: "high",
    pb.REASONING_EFFORT_XHIGH: "xhigh",
}


@dataclass(frozen=True)
class ParetoPlan:
    """How the Pareto Router is steered for one call."""

    applied: bool
    min_coding_score: float | None = None
    band: str | None = None
    nitro: bool = False
    max_price: float | None = None
    price_source: str | None = None
    enabled: bool = True


NOT_APPLIED = ParetoPlan(applied=False)


@dataclass(frozen=True)
class SeatCall:
    body: dict[str, Any]
    requested_model: str
    tier_name: str
    pareto: ParetoPlan
    timeout_s: float
    pool_models: tuple[str, ...]
    stream: bool


def struct_to_python(struct: struct_pb2.Struct) -> dict[str, Any]:
    """A Struct as plain JSON values; integral numbers become ints (Struct has only doubles)."""
    return _integralise(json_format.MessageToDict(struct))


def _integralise(value: Any) -> Any:
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _integralise(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_integralise(item) for item in value]
    return value


def fold_nitro(model: str, nitro_option: bool) -> tuple[str, bool]:
    """`(model id to send, nitro?)`: ParetoOptions.nitro selects the `:nitro` variant."""
    base, variant = split_variant(model)
    nitro = variant == NITRO or nitro_option
    return (f"{base}:{NITRO}" if nitro else model), nitro


def pareto_plan(request: pb.RouteSeatRequest, tiers: TierTable) -> ParetoPlan:
    """The plugin decision: only meta models get it; the frontier tier omits the score."""
    if tiers.meta_model_for(request.model) is None:
        return NOT_APPLIED
    opts = request.pareto
    _, nitro = fold_nitro(request.model, opts.nitro)
    if request.HasField("min_coding_score"):
        score: float | None = request.min_coding_score
    else:
        spec = tiers.spec(request.tier)
        score = spec.min_coding_score if spec is not None else None
    return ParetoPlan(
        applied=True,
        min_coding_score=score,
        band=band_for(score),
        nitro=nitro,
        max_price=opts.max_price if opts.HasField("max_price") else None,
        price_source=opts.price_source or None,
        enabled=not opts.disabled,
    )


def plugin_body(plan: ParetoPlan, plugin_id: str) -> dict[str, Any]:
    plugin: dict[str, Any] = {"id": plugin_id}
    if plan.min_coding_score is not None:
        plugin["min_coding_score"] = plan.min_coding_score
    if plan.max_price is not None:
        plugin["max_price"] = plan.max_price
    if plan.price_source is not None:
        plugin["price_source"] = plan.price_source
    if not plan.enabled:
        plugin["enabled"] = False
    return plugin


def message_body(message: pb.ChatMessage) -> dict[str, Any]:
    out: dict[str, Any] = {"role": message.role, "content": message.content}
    if message.name:
        out["name"] = message.name
    if message.tool_call_id:
        out["tool_call_id"] = message.tool_call_id
    return out


def generation_params(request: pb.RouteSeatRequest) -> dict[str, Any]:
    """Sampling and output options the request set (unset ones are not sent)."""
    out: dict[str, Any] = {}
    if request.HasField("temperature"):
        out["temperature"] = request.temperature
    if request.HasField("top_p"):
        out["top_p"] = request.top_p
    if request.HasField("max_tokens"):
        out["max_tokens"] = request.max_tokens
    if request.stop:
        out["stop"] = list(request.stop)
    if request.HasField("seed"):
        out["seed"] = request.seed
    if request.reasoning_effort in REASONING_EFFORTS:
        out["reasoning"] = {"effort": REASONING_EFFORTS[request.reasoning_effort]}
    if request.HasField("response_format"):
        fmt: dict[str, Any] = {"type": request.response_format.type}
        if request.response_format.type == "json_schema":
            fmt["json_schema"] = struct_to_python(request.response_format.json_schema)
        out["response_format"] = fmt
    if request.user:
        out["user"] = request.user
    return out


def build_body(
    request: pb.RouteSeatRequest, plan: ParetoPlan, plugin_id: str, *, stream: bool
) -> dict[str, Any]:
    """The JSON body. extra_body goes first so explicit request fields win over it."""
    extra: Mapping[str, Any] = (
        struct_to_python(request.extra_body) if request.HasField("extra_body") else {}
    )
    reserved = RESERVED_BODY_KEYS.intersection(extra)
    if reserved:
        # Validation rejects these; refusing here too keeps the builder safe on its own.
        raise ValueError(f"extra_body sets reserved keys {sorted(reserved)}")
    model, _ = fold_nitro(request.model, plan.nitro) if plan.applied else (request.model, False)
    body: dict[str, Any] = dict(extra)
    body["model"] = model
    body["messages"] = [message_body(m) for m in request.messages]
    body.update(generation_params(request))
    if plan.applied:
        body["plugins"] = [plugin_body(plan, plugin_id)]
    if request.session_id:
        # OpenRouter keeps a session on the same model for a while (stickiness).
        body["session_id"] = request.session_id
    if stream:
        # OpenRouter always sends usage in the last chunk of a stream.
        body["stream"] = True
    return body


def build_seat_call(request: pb.RouteSeatRequest, tiers: TierTable, *, stream: bool) -> SeatCall:
    """Everything needed to execute one validated seat request."""
    plan = pareto_plan(request, tiers)
    meta = tiers.meta_model_for(request.model)
    plugin_id = meta.plugin_id if meta is not None else ""
    body = build_body(request, plan, plugin_id, stream=stream)
    pool = tuple(request.pool_models) or tiers.seated_models(request.tier)
    return SeatCall(
        body=body,
        requested_model=body["model"],
        tier_name=TIER_NAMES.get(request.tier, ""),
        pareto=plan,
        timeout_s=tiers.timeout_for(request.tier),
        pool_models=pool,
        stream=stream,
    )


def is_duplicate_of_pool(resolved_model: str, pool_models: tuple[str, ...]) -> bool:
    """Whether the resolved model is already seated (ignoring `:variant` suffixes)."""
    if not resolved_model:
        return False
    base, _ = split_variant(resolved_model)
    return any(split_variant(model)[0] == base for model in pool_models)
