"""Pure mapping of OpenRouter answers (JSON, SSE chunks, error bodies) to our types.

No I/O here: the client hands in parsed JSON; the servicer gets back a `Completion`
and turns it into a RouteSeatResponse with `to_route_response`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from google.protobuf import duration_pb2, json_format
from llmcouncil.router.v1 import router_service_pb2 as pb

from router_service.errors import UpstreamBadResponseError, UpstreamHTTPError, UpstreamStreamError
from router_service.request_builder import SeatCall, is_duplicate_of_pool

# Upstream error text is shown to callers; keep it short (characters).
MAX_ERROR_MESSAGE_CHARS = 500

BAND_ENUM = {
    "low": pb.PARETO_BAND_LOW,
    "medium": pb.PARETO_BAND_MEDIUM,
    "high": pb.PARETO_BAND_HIGH,
}


@dataclass
class UsageCounts:
    input_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0
    cached_tokens: int = 0
    cost_usd: float | None = None


@dataclass
class Completion:
    """One parsed answer, from a JSON body or an accumulated stream."""

    content: str = ""
    reasoning: str = ""
    resolved_model: str = ""
    provider: str = ""
    generation_id: str = ""
    finish_reason: str = ""
    native_finish_reason: str = ""
    usage: UsageCounts = field(default_factory=UsageCounts)
    routing: dict[str, Any] | None = None


def _count(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0
    return max(0, int(value))


def parse_usage(raw: object) -> UsageCounts:
    if not isinstance(raw, Mapping):
        return UsageCounts()
    prompt_details = raw.get("prompt_tokens_details")
    completion_details = raw.get("completion_tokens_details")
    cost = raw.get("cost")
    return UsageCounts(
        input_tokens=_count(raw.get("prompt_tokens")),
        output_tokens=_count(raw.get("completion_tokens")),
        reasoning_tokens=_count(
            completion_details.get("reasoning_tokens")
            if isinstance(completion_details, Mapping)
            else 0
        ),
        cached_tokens=_count(
            prompt_details.get("cached_tokens") if isinstance(prompt_details, Mapping) else 0
        ),
        cost_usd=float(cost)
        if isinstance(cost, int | float) and not isinstance(cost, bool) and math.isfinite(cost)
        else None,
    )


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def parse_completion(data: object) -> Completion:
    """A chat.completion JSON object; UpstreamBadResponseError when the shape is wrong."""
    if not isinstance(data, Mapping):
        raise UpstreamBadResponseError("upstream answer is not a JSON object")
    choices = data.get("choices")
    model = data.get("model")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], Mapping):
        raise UpstreamBadResponseError("upstream answer has no choices")
    if not isinstance(model, str) or not model:
        raise UpstreamBadResponseError("upstream answer has no model")
    choice = choices[0]
    message = choice.get("message")
    if not isinstance(message, Mapping):
        raise UpstreamBadResponseError("upstream answer has no message")
    routing = data.get("openrouter_metadata")
    return Completion(
        content=_text(message.get("content")),
        reasoning=_text(message.get("reasoning")),
        resolved_model=model,
        provider=_text(data.get("provider")),
        generation_id=_text(data.get("id")),
        finish_reason=_text(choice.get("finish_reason")),
        native_finish_reason=_text(choice.get("native_finish_reason")),
        usage=parse_usage(data.get("usage")),
        routing=dict(routing) if isinstance(routing, Mapping) else None,
    )


def _error_code(raw: object, fallback: int) -> int:
    if isinstance(raw, int) and not isinstance(raw, bool) and 100 <= raw <= 599:
        return raw
    return fallback


def upstream_error(
    status: int,
    payload: object,
    *,
    retry_after_s: float | None,
    redact: Callable[[str], str],
) -> UpstreamHTTPError:
    """The error for an HTTP error answer (or a 200 carrying `{"error": ...}`).

    `payload` is the parsed body or None. The message passes through `redact` so that a
    secret echoed by the upstream can never reach a caller or a log.
    """
    error = payload.get("error") if isinstance(payload, Mapping) else None
    error = error if isinstance(error, Mapping) else {}
    code = _error_code(error.get("code"), status) if status < 400 else status
    message = _text(error.get("message")) or f"upstream answered HTTP {status}"
    metadata: dict[str, str] = {"openrouter_code": str(error.get("code", status))}
    if isinstance(error.get("type"), str):
        metadata["openrouter_type"] = error["type"]
    details = error.get("metadata")
    if isinstance(details, Mapping):
        reasons = details.get("reasons")
        if isinstance(reasons, list):
            metadata["moderation_reasons"] = ",".join(str(r) for r in reasons)
        if isinstance(details.get("provider_name"), str):
            metadata["provider_name"] = details["provider_name"]
    metadata = {key: redact(value)[:MAX_ERROR_MESSAGE_CHARS] for key, value in metadata.items()}
    return UpstreamHTTPError(
        code,
        redact(message)[:MAX_ERROR_MESSAGE_CHARS],
        metadata=metadata,
        retry_after_s=retry_after_s,
    )


@dataclass
class StreamPiece:
    """What one SSE chunk adds to the answer."""

    delta: str = ""
    reasoning_delta: str = ""


class StreamAccumulator:
    """Folds chat.completion.chunk objects into a Completion (pure, no I/O)."""

    def __init__(self, redact: Callable[[str], str]) -> None:
        self._redact = redact
        self._content: list[str] = []
        self._reasoning: list[str] = []
        self.completion = Completion()
        self.deltas_seen = 0

    def feed(self, chunk: object) -> StreamPiece:
        if not isinstance(chunk, Mapping):
            raise UpstreamStreamError("upstream stream sent a non-object chunk")
        error = chunk.get("error")
        if isinstance(error, Mapping):
            code = error.get("code")
            raise UpstreamStreamError(
                self._redact(_text(error.get("message")) or "upstream stream error")[
                    :MAX_ERROR_MESSAGE_CHARS
                ],
                metadata={"openrouter_code": str(code), "deltas_sent": str(self.deltas_seen)},
            )
        c = self.completion
        c.resolved_model = _text(chunk.get("model")) or c.resolved_model
        c.provider = _text(chunk.get("provider")) or c.provider
        c.generation_id = _text(chunk.get("id")) or c.generation_id
        if isinstance(chunk.get("usage"), Mapping):
            c.usage = parse_usage(chunk["usage"])
        if isinstance(chunk.get("openrouter_metadata"), Mapping):
            c.routing = dict(chunk["openrouter_metadata"])
        piece = StreamPiece()
        choices = chunk.get("choices")
        if isinstance(choices, list) and choices and isinstance(choices[0], Mapping):
            choice = choices[0]
            delta = choice.get("delta")
            if isinstance(delta, Mapping):
                piece.delta = _text(delta.get("content"))
                piece.reasoning_delta = _text(delta.get("reasoning"))
            c.finish_reason = _text(choice.get("finish_reason")) or c.finish_reason
            c.native_finish_reason = (
                _text(choice.get("native_finish_reason")) or c.native_finish_reason
            )
        if piece.delta:
            self._content.append(piece.delta)
            self.deltas_seen += 1
        if piece.reasoning_delta:
            self._reasoning.append(piece.reasoning_delta)
            self.deltas_seen += 1
        return piece

    def finish(self) -> Completion:
        c = self.completion
        c.content = "".join(self._content)
        c.reasoning = "".join(self._reasoning)
        if not c.resolved_model:
            raise UpstreamStreamError("upstream stream ended without a model")
        return c


def parse_sse_data(data: str) -> object:
    """One SSE `data:` payload as JSON; a malformed one is a stream error."""
    try:
        return json.loads(data)
    except ValueError:
        raise UpstreamStreamError("upstream stream sent malformed JSON") from None


def duration(seconds: float) -> duration_pb2.Duration:
    out = duration_pb2.Duration()
    out.FromNanoseconds(int(max(0.0, seconds) * 1e9))
    return out


def routing_metadata(raw: Mapping[str, Any]) -> pb.RoutingMetadata:
    endpoints = raw.get("endpoints")
    endpoints = endpoints if isinstance(endpoints, Mapping) else {}
    available = endpoints.get("available")
    out = pb.RoutingMetadata(
        strategy=_text(raw.get("strategy")),
        attempt=_count(raw.get("attempt")),
        endpoints_total=_count(endpoints.get("total")),
        requested=_text(raw.get("requested")),
        summary=_text(raw.get("summary")),
        region=_text(raw.get("region")),
    )
    if isinstance(available, list):
        for item in available:
            if isinstance(item, Mapping):
                out.endpoints.add(
                    provider=_text(item.get("provider")),
                    model=_text(item.get("model")),
                    selected=bool(item.get("selected", False)),
                )
    try:
        # Parsed JSON holds only types Struct takes; update() is ~3x cheaper than ParseDict.
        out.raw.update(raw)
    except (TypeError, ValueError):
        # Anything odd: a JSON round trip turns it into strings, which ParseDict accepts.
        out.raw.Clear()
        json_format.ParseDict(json.loads(json.dumps(raw, default=str)), out.raw)
    return out


def to_route_response(
    completion: Completion,
    call: SeatCall,
    request: pb.RouteSeatRequest,
    *,
    attempts: int,
    latency_s: float,
    ttft_s: float | None = None,
    trace_id: str = "",
) -> pb.RouteSeatResponse:
    usage = pb.Usage(
        input_tokens=completion.usage.input_tokens,
        output_tokens=completion.usage.output_tokens,
        reasoning_tokens=completion.usage.reasoning_tokens,
        cached_tokens=completion.usage.cached_tokens,
    )
    if completion.usage.cost_usd is not None:
        usage.cost_usd = completion.usage.cost_usd
    plan = call.pareto
    pareto = pb.ParetoSelection(applied=plan.applied, nitro=plan.nitro)
    if plan.applied:
        pareto.band = BAND_ENUM[plan.band or "high"]
        if plan.min_coding_score is not None:
            pareto.min_coding_score = plan.min_coding_score
    response = pb.RouteSeatResponse(
        content=completion.content,
        requested_model=call.requested_model,
        resolved_model=completion.resolved_model,
        provider=completion.provider,
        generation_id=completion.generation_id,
        finish_reason=completion.finish_reason,
        native_finish_reason=completion.native_finish_reason,
        reasoning=completion.reasoning,
        usage=usage,
        pareto=pareto,
        duplicate_of_pool=is_duplicate_of_pool(completion.resolved_model, call.pool_models),
        attempts=attempts,
        latency=duration(latency_s),
        tier=request.tier,
        session_id=request.session_id,
        seat_id=request.seat_id,
        trace_id=trace_id,
    )
    if completion.routing is not None:
        response.routing.CopyFrom(routing_metadata(completion.routing))
    if ttft_s is not None:
        response.time_to_first_token.CopyFrom(duration(ttft_s))
    return response
