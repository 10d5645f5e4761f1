"""Pure request validation: a request either passes or yields field violations.

Nothing reaches OpenRouter unless `validate_route_request` returned no violations.
Field paths follow the proto (`messages[2].role`, `pareto.max_price`); StreamSeat
prefixes them with `seat.`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

from google.protobuf import struct_pb2
from llmcouncil.router.v1 import router_service_pb2 as pb

from router_service.errors import FieldViolation, InvalidRequestError
from router_service.tiers import TierTable

ROLES = frozenset({"system", "user", "assistant", "tool"})
RESPONSE_FORMAT_TYPES = frozenset({"text", "json_object", "json_schema"})
# Body keys the router writes itself; extra_body may not set them.
RESERVED_BODY_KEYS = frozenset({"model", "messages", "stream", "plugins", "session_id"})
MAX_ID_CHARS = 256
MAX_PRICE_SOURCE_CHARS = 64
MAX_STOP_SEQUENCES = 4
MAX_POOL_MODELS = 64
# Non-finite numbers named per Struct; more would only bloat the status trailer (8 KiB).
MAX_STRUCT_VIOLATIONS = 8
# A Struct key longer than this is shortened in the reported field path.
MAX_PATH_KEY_CHARS = 64


def _finite_between(value: float, lo: float, hi: float) -> bool:
    return math.isfinite(value) and lo <= value <= hi


def _key_path(path: str, key: str) -> str:
    shown = key if len(key) <= MAX_PATH_KEY_CHARS else f"{key[:MAX_PATH_KEY_CHARS]}..."
    return f"{path}.{shown}"


def _non_finite_paths(value: struct_pb2.Value, path: str) -> Iterator[str]:
    """Paths of NaN / +-Infinity numbers in a Struct value, depth first, keys sorted.

    JSON has no such numbers, so the body could not be built (MessageToDict raises).
    """
    kind = value.WhichOneof("kind")
    if kind == "number_value" and not math.isfinite(value.number_value):
        yield path
    elif kind == "struct_value":
        yield from _struct_non_finite_paths(value.struct_value, path)
    elif kind == "list_value":
        for index, item in enumerate(value.list_value.values):
            yield from _non_finite_paths(item, f"{path}[{index}]")


def _struct_non_finite_paths(struct: struct_pb2.Struct, path: str) -> Iterator[str]:
    for key in sorted(struct.fields):
        yield from _non_finite_paths(struct.fields[key], _key_path(path, key))


def struct_violations(struct: struct_pb2.Struct, path: str) -> list[FieldViolation]:
    """A violation for each non-finite number inside `struct` (at most MAX_STRUCT_VIOLATIONS)."""
    out: list[FieldViolation] = []
    for found in _struct_non_finite_paths(struct, path):
        if len(out) == MAX_STRUCT_VIOLATIONS:
            break
        out.append(FieldViolation(found, "must be a finite number (JSON has no NaN or Infinity)"))
    return out


def _messages(request: pb.RouteSeatRequest, max_chars: int, p: str) -> list[FieldViolation]:
    out: list[FieldViolation] = []
    if not request.messages:
        out.append(FieldViolation(f"{p}messages", "at least one message is required"))
        return out
    total = 0
    for index, message in enumerate(request.messages):
        path = f"{p}messages[{index}]"
        if message.role not in ROLES:
            out.append(
                FieldViolation(
                    f"{path}.role",
                    f"must be one of {', '.join(sorted(ROLES))}, got {message.role[:32]!r}",
                )
            )
        elif message.role != "assistant" and not message.content:
            out.append(FieldViolation(f"{path}.content", f"required for role {message.role!r}"))
        if message.role == "tool" and not message.tool_call_id:
            out.append(FieldViolation(f"{path}.tool_call_id", "required for role 'tool'"))
        if len(message.name) > MAX_ID_CHARS:
            out.append(FieldViolation(f"{path}.name", f"at most {MAX_ID_CHARS} characters"))
        total += len(message.content)
    if total > max_chars:
        out.append(
            FieldViolation(
                f"{p}messages", f"total content is {total} characters; the limit is {max_chars}"
            )
        )
    return out


def _generation(request: pb.RouteSeatRequest, p: str) -> list[FieldViolation]:
    out: list[FieldViolation] = []
    if request.HasField("temperature") and not _finite_between(request.temperature, 0.0, 2.0):
        out.append(FieldViolation(f"{p}temperature", "must be finite, 0..2"))
    if request.HasField("top_p") and not (
        math.isfinite(request.top_p) and 0.0 < request.top_p <= 1.0
    ):
        out.append(FieldViolation(f"{p}top_p", "must be finite, 0 < top_p <= 1"))
    if request.HasField("max_tokens") and request.max_tokens < 1:
        out.append(FieldViolation(f"{p}max_tokens", "must be >= 1"))
    if len(request.stop) > MAX_STOP_SEQUENCES:
        out.append(FieldViolation(f"{p}stop", f"at most {MAX_STOP_SEQUENCES} stop sequences"))
    for index, stop in enumerate(request.stop):
        if not stop:
            out.append(FieldViolation(f"{p}stop[{index}]", "must not be empty"))
    if request.reasoning_effort not in pb.ReasoningEffort.values():
        out.append(
            FieldViolation(f"{p}reasoning_effort", f"unknown value {request.reasoning_effort}")
        )
    if request.HasField("response_format"):
        fmt = request.response_format
        if fmt.type not in RESPONSE_FORMAT_TYPES:
            out.append(
                FieldViolation(
                    f"{p}response_format.type",
                    f"must be one of {', '.join(sorted(RESPONSE_FORMAT_TYPES))}",
                )
            )
        elif fmt.type == "json_schema" and not fmt.json_schema.fields:
            out.append(
                FieldViolation(f"{p}response_format.json_schema", "required for type json_schema")
            )
        if fmt.HasField("json_schema"):
            out.extend(struct_violations(fmt.json_schema, f"{p}response_format.json_schema"))
    if request.HasField("extra_body"):
        for key in sorted(request.extra_body.fields):
            if key in RESERVED_BODY_KEYS:
                out.append(
                    FieldViolation(f"{p}extra_body.{key}", "is set by the router; not allowed")
                )
        out.extend(struct_violations(request.extra_body, f"{p}extra_body"))
    return out


def _pareto(request: pb.RouteSeatRequest, tiers: TierTable, p: str) -> list[FieldViolation]:
    out: list[FieldViolation] = []
    if request.HasField("min_coding_score") and not _finite_between(
        request.min_coding_score, 0.0, 1.0
    ):
        out.append(FieldViolation(f"{p}min_coding_score", "must be finite, 0..1 inclusive"))
    if request.HasField("pareto"):
        opts = request.pareto
        if opts.HasField("max_price") and not (
            math.isfinite(opts.max_price) and opts.max_price > 0
        ):
            out.append(FieldViolation(f"{p}pareto.max_price", "must be finite and > 0"))
        if len(opts.price_source) > MAX_PRICE_SOURCE_CHARS:
            out.append(
                FieldViolation(
                    f"{p}pareto.price_source", f"at most {MAX_PRICE_SOURCE_CHARS} characters"
                )
            )
    is_pareto = tiers.meta_model_for(request.model) is not None
    if (
        is_pareto
        and request.tier == pb.TIER_UNSPECIFIED
        and not request.HasField("min_coding_score")
    ):
        out.append(
            FieldViolation(
                f"{p}tier", "the Pareto seat needs a tier or min_coding_score to choose its score"
            )
        )
    return out


def route_request_violations(
    request: pb.RouteSeatRequest, tiers: TierTable, *, max_chars: int, prefix: str = ""
) -> list[FieldViolation]:
    """Every problem with a RouteSeatRequest, as field violations (empty when valid)."""
    p = prefix
    out: list[FieldViolation] = []
    model = request.model
    if not model.strip():
        out.append(FieldViolation(f"{p}model", "required"))
    elif len(model) > MAX_ID_CHARS or any(ch.isspace() for ch in model):
        out.append(FieldViolation(f"{p}model", f"at most {MAX_ID_CHARS} characters, no whitespace"))
    if request.tier not in pb.Tier.values():
        out.append(FieldViolation(f"{p}tier", f"unknown tier number {request.tier}"))
    for name in ("session_id", "seat_id", "user"):
        if len(getattr(request, name)) > MAX_ID_CHARS:
            out.append(FieldViolation(f"{p}{name}", f"at most {MAX_ID_CHARS} characters"))
    if len(request.pool_models) > MAX_POOL_MODELS:
        out.append(FieldViolation(f"{p}pool_models", f"at most {MAX_POOL_MODELS} models"))
    for index, pool_model in enumerate(request.pool_models):
        if not pool_model.strip() or len(pool_model) > MAX_ID_CHARS:
            out.append(
                FieldViolation(f"{p}pool_models[{index}]", "must be a model id (1..256 chars)")
            )
    out.extend(_messages(request, max_chars, p))
    out.extend(_generation(request, p))
    out.extend(_pareto(request, tiers, p))
    return out


def validate_route_request(
    request: pb.RouteSeatRequest, tiers: TierTable, *, max_chars: int, prefix: str = ""
) -> None:
    """Raise InvalidRequestError listing every violation, if any."""
    violations = route_request_violations(request, tiers, max_chars=max_chars, prefix=prefix)
    if violations:
        raise InvalidRequestError(violations)


def validate_stream_request(
    request: pb.StreamSeatRequest, tiers: TierTable, *, max_chars: int
) -> pb.RouteSeatRequest:
    """The inner RouteSeatRequest of a valid StreamSeatRequest."""
    if not request.HasField("seat"):
        raise InvalidRequestError([FieldViolation("seat", "required")])
    validate_route_request(request.seat, tiers, max_chars=max_chars, prefix="seat.")
    return request.seat


def validate_review_request(request: pb.RecordSeatReviewRequest) -> None:
    out: list[FieldViolation] = []
    if not request.session_id.strip():
        out.append(FieldViolation("session_id", "required"))
    if not request.seat_id.strip() and not request.generation_id.strip():
        out.append(FieldViolation("seat_id", "seat_id or generation_id is required"))
    if not request.reviewer.strip():
        out.append(FieldViolation("reviewer", "required"))
    if not math.isfinite(request.score):
        out.append(FieldViolation("score", "must be finite"))
    if request.HasField("borda_points") and not math.isfinite(request.borda_points):
        out.append(FieldViolation("borda_points", "must be finite"))
    if request.tier not in pb.Tier.values():
        out.append(FieldViolation("tier", f"unknown tier number {request.tier}"))
    for name in ("session_id", "seat_id", "generation_id", "reviewer", "resolved_model"):
        if len(getattr(request, name)) > MAX_ID_CHARS:
            out.append(FieldViolation(name, f"at most {MAX_ID_CHARS} characters"))
    if out:
        raise InvalidRequestError(out)
