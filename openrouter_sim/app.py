"""Request handling without sockets: routing, auth, validation, resolution, control API.

`SimApp.handle` turns one HTTP request into a `Reply` (bytes to send) or a `ChatReply`
(a completion plus an optional wire fault) that the HTTP layer writes out.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from openrouter_sim.catalog import PARETO_MODELS, PARETO_NITRO_MODEL, base_model_id, models_body
from openrouter_sim.faults import Fault, FaultQueue
from openrouter_sim.frontier import FrontierSchedule
from openrouter_sim.recording import RecordedRequest, RequestLog
from openrouter_sim.resolver import ParetoResolver
from openrouter_sim.responses import (
    Completion,
    build_completion,
    error_body,
    json_bytes,
    router_metadata,
)
from openrouter_sim.validation import BadRequest, ChatRequest, parse_chat_request, parse_json_body

logger = logging.getLogger(__name__)

API_PREFIX = "/api/v1"
CONTROL_PREFIX = "/_sim/"
METADATA_HEADERS = ("x-openrouter-metadata", "x-openrouter-experimental-metadata")
Headers = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: Headers = ()


@dataclass(frozen=True)
class ChatReply:
    """A chat answer to render; `completion` is None only for a "reset" fault."""

    completion: Completion | None
    stream: bool
    fault: Fault | None
    headers: Headers = ()


def json_reply(status: int, obj: object, headers: Headers = ()) -> Reply:
    return Reply(status, json_bytes(obj), headers=headers)


def error_reply(
    status: int, message: str, metadata: Mapping[str, Any] | None = None, headers: Headers = ()
) -> Reply:
    return json_reply(status, error_body(status, message, metadata), headers)


def _fault_reply(fault: Fault) -> Reply:
    status = fault.status or 500
    headers: Headers = ()
    if fault.retry_after_s is not None:
        # Retry-After is whole seconds on the wire; round up so clients never retry early.
        headers = (("Retry-After", str(max(0, int(-(-fault.retry_after_s // 1))))),)
    return error_reply(status, fault.error_message, fault.error_metadata, headers)


class SimApp:
    """The simulated OpenRouter: state plus a `handle` entry point (thread-safe)."""

    def __init__(
        self,
        *,
        api_key: str | None,
        schedule: FrontierSchedule,
        shift_every_s: float | None,
        clock: Callable[[], float],
    ) -> None:
        self.api_key = api_key
        self.clock = clock
        self.resolver = ParetoResolver(schedule, clock, shift_every_s)
        self.faults = FaultQueue()
        self.log = RequestLog()

    def handle(
        self, method: str, target: str, headers: Mapping[str, str], raw: bytes
    ) -> Reply | ChatReply:
        path = urlsplit(target).path.rstrip("/") or "/"
        if path.startswith(CONTROL_PREFIX) or path == CONTROL_PREFIX.rstrip("/"):
            return self._control(method, path, raw)
        self._record(method, target, headers, raw)
        if path == f"{API_PREFIX}/chat/completions":
            if method != "POST":
                return error_reply(405, f"Method {method} not allowed; use POST")
            return self._chat(headers, raw)
        if path == f"{API_PREFIX}/models":
            if method != "GET":
                return error_reply(405, f"Method {method} not allowed; use GET")
            epoch = self.resolver.current_epoch()
            return json_reply(200, models_body(epoch.models, int(self.clock())))
        return error_reply(404, f"Not Found: {path}")

    def _record(self, method: str, target: str, headers: Mapping[str, str], raw: bytes) -> None:
        try:
            body: Any = json.loads(raw) if raw else None
        except (UnicodeDecodeError, json.JSONDecodeError):
            body = None
        self.log.add(RecordedRequest(method, target, dict(headers), body, raw, self.clock()))

    def _auth_error(self, headers: Mapping[str, str]) -> Reply | None:
        scheme, _, token = headers.get("authorization", "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return error_reply(401, "No auth credentials found")
        if self.api_key is not None and token != self.api_key:
            return error_reply(401, "User not found.")
        return None

    def _chat(self, headers: Mapping[str, str], raw: bytes) -> Reply | ChatReply:
        denied = self._auth_error(headers)
        if denied is not None:
            return denied
        try:
            request = parse_chat_request(parse_json_body(raw), headers.get("x-session-id"))
        except BadRequest as exc:
            return error_reply(400, str(exc))
        fault = self.faults.take(request.model, request.stream)
        if fault is not None:
            logger.info("applying fault %s to a request for %s", fault.kind, request.model)
            if fault.kind == "http_error":
                return _fault_reply(fault)
            if fault.kind == "reset":
                return ChatReply(None, request.stream, fault)
        want_metadata = any(headers.get(h, "").lower() == "enabled" for h in METADATA_HEADERS)
        return self._answer(request, fault, want_metadata)

    def _answer(
        self, request: ChatRequest, fault: Fault | None, want_metadata: bool
    ) -> Reply | ChatReply:
        created = int(self.clock())
        extra: list[tuple[str, str]] = []
        if request.model in PARETO_MODELS:
            pareto = request.pareto
            enabled = pareto is not None and pareto.enabled
            try:
                res = self.resolver.resolve(
                    pareto.min_coding_score if enabled and pareto else None,
                    nitro=request.model == PARETO_NITRO_MODEL,
                    session_id=request.session_id,
                    max_price=pareto.max_price if enabled and pareto else None,
                )
            except LookupError:
                return error_reply(404, f"No endpoints found for {request.model} within max_price.")
            model, candidates = res.model, res.candidates
            summary = (
                f"band={res.band.value}, epoch={res.epoch.name}, available={len(candidates)}, "
                f"selected={model.id}{', sticky' if res.sticky else ''}"
            )
            strategy = "pareto"
            extra += [("X-Sim-Epoch", str(res.epoch_index)), ("X-Sim-Band", res.band.value)]
        else:
            epoch_index = self.resolver.epoch_index()
            found = self.resolver.schedule.epochs[epoch_index].model(base_model_id(request.model))
            if found is None:
                return error_reply(404, f"No endpoints found for {request.model}.")
            model, candidates = found, (found,)
            summary = f"available=1, selected={model.provider}"
            strategy = "direct"
            extra.append(("X-Sim-Epoch", str(epoch_index)))
        metadata = (
            router_metadata(
                requested=request.model,
                strategy=strategy,
                candidates=candidates,
                selected=model,
                summary=summary,
            )
            if want_metadata
            else None
        )
        completion = build_completion(
            model=model,
            messages=request.messages,
            max_tokens=request.max_tokens,
            created=created,
            metadata=metadata,
        )
        headers = (("X-Generation-Id", completion.id), *extra)
        return ChatReply(completion, request.stream, fault, headers)

    def state_json(self) -> dict[str, Any]:
        index = self.resolver.epoch_index()
        schedule = self.resolver.schedule
        epoch = schedule.epochs[index]
        return {
            "epoch": index,
            "epoch_name": epoch.name,
            "epoch_count": len(schedule.epochs),
            "cycle": schedule.cycle,
            "shift_every_s": self.resolver.shift_every_s,
            "started_at": self.resolver.start,
            "now": self.clock(),
            "next_shift_at": self.resolver.next_shift_at(),
            "frontier": epoch.frontier_json(),
            "schedule": schedule.to_json(),
            "faults": self.faults.pending(),
            "requests_recorded": len(self.log.snapshot()),
            "requests_dropped": self.log.dropped,
        }

    def _control(self, method: str, path: str, raw: bytes) -> Reply:
        route = (method, path)
        if route == ("POST", "/_sim/faults"):
            try:
                fault = Fault.from_json(parse_json_body(raw))
            except (BadRequest, ValueError, TypeError) as exc:
                return error_reply(400, str(exc))
            self.faults.push(fault)
            return json_reply(201, {"queued": fault.to_json()})
        if route == ("GET", "/_sim/faults"):
            return json_reply(200, {"faults": self.faults.pending()})
        if route == ("DELETE", "/_sim/faults"):
            self.faults.clear()
            return json_reply(200, {"cleared": True})
        if route == ("GET", "/_sim/requests"):
            return json_reply(200, [r.to_json() for r in self.log.snapshot()])
        if route == ("DELETE", "/_sim/requests"):
            self.log.clear()
            return json_reply(200, {"cleared": True})
        if route == ("GET", "/_sim/state"):
            return json_reply(200, self.state_json())
        if route == ("POST", "/_sim/state"):
            return self._pin(raw)
        return error_reply(404, f"Not Found: {path}")

    def _pin(self, raw: bytes) -> Reply:
        try:
            body = parse_json_body(raw)
            epoch = body.get("epoch")
            if epoch is not None and (isinstance(epoch, bool) or not isinstance(epoch, int)):
                raise ValueError("epoch: must be an integer or null")
            self.resolver.pin_epoch(epoch)
        except (BadRequest, ValueError) as exc:
            return error_reply(400, str(exc))
        return json_reply(200, self.state_json())
