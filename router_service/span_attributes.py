"""Span attribute names (the contract in docs/telemetry-attributes.md) and pure builders.

Do not rename these: the telemetry service reads them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from llmcouncil.router.v1 import router_service_pb2 as pb
from opentelemetry.util.types import AttributeValue

from router_service.request_builder import SeatCall, is_duplicate_of_pool
from router_service.response_mapper import Completion
from router_service.tiers import TIER_NAMES

Attributes = dict[str, AttributeValue]

GEN_AI_OPERATION_NAME = "gen_ai.operation.name"
GEN_AI_PROVIDER_NAME = "gen_ai.provider.name"
GEN_AI_REQUEST_MODEL = "gen_ai.request.model"
GEN_AI_RESPONSE_MODEL = "gen_ai.response.model"
GEN_AI_RESPONSE_ID = "gen_ai.response.id"
GEN_AI_RESPONSE_FINISH_REASONS = "gen_ai.response.finish_reasons"
GEN_AI_CONVERSATION_ID = "gen_ai.conversation.id"
GEN_AI_USAGE_INPUT_TOKENS = "gen_ai.usage.input_tokens"
GEN_AI_USAGE_OUTPUT_TOKENS = "gen_ai.usage.output_tokens"
GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS = "gen_ai.usage.cache_read.input_tokens"
GEN_AI_USAGE_REASONING_OUTPUT_TOKENS = "gen_ai.usage.reasoning.output_tokens"
GEN_AI_REQUEST_TEMPERATURE = "gen_ai.request.temperature"
GEN_AI_REQUEST_TOP_P = "gen_ai.request.top_p"
GEN_AI_REQUEST_MAX_TOKENS = "gen_ai.request.max_tokens"
GEN_AI_REQUEST_SEED = "gen_ai.request.seed"
GEN_AI_REQUEST_STOP_SEQUENCES = "gen_ai.request.stop_sequences"
GEN_AI_INPUT_MESSAGES = "gen_ai.input.messages"
GEN_AI_OUTPUT_MESSAGES = "gen_ai.output.messages"
ERROR_TYPE = "error.type"
SERVER_ADDRESS = "server.address"
SERVER_PORT = "server.port"
COUNCIL_TIER = "llm_council.tier"
COUNCIL_SESSION_ID = "llm_council.session.id"
COUNCIL_SEAT_ID = "llm_council.seat.id"
COUNCIL_POOL_MODELS = "llm_council.pool.models"
COUNCIL_DUPLICATE_OF_POOL = "llm_council.duplicate_of_pool"
COUNCIL_ATTEMPTS = "llm_council.attempts"
COUNCIL_STREAMING = "llm_council.streaming"
COUNCIL_TTFT_MS = "llm_council.time_to_first_token_ms"
OPENROUTER_PROVIDER = "openrouter.provider"
OPENROUTER_COST_USD = "openrouter.cost_usd"
PARETO_APPLIED = "openrouter.pareto.applied"
PARETO_MIN_CODING_SCORE = "openrouter.pareto.min_coding_score"
PARETO_BAND = "openrouter.pareto.band"
PARETO_NITRO = "openrouter.pareto.nitro"
PARETO_MAX_PRICE = "openrouter.pareto.max_price"
PARETO_PRICE_SOURCE = "openrouter.pareto.price_source"
ROUTING_STRATEGY = "openrouter.routing.strategy"
ROUTING_ATTEMPT = "openrouter.routing.attempt"
ROUTING_ENDPOINTS_TOTAL = "openrouter.routing.endpoints_total"
ROUTING_SUMMARY = "openrouter.routing.summary"

# Review span / gen_ai.evaluation.result event.
EVALUATION_EVENT = "gen_ai.evaluation.result"
EVALUATION_NAME = "gen_ai.evaluation.name"
EVALUATION_SCORE_VALUE = "gen_ai.evaluation.score.value"
REVIEW_REVIEWER = "llm_council.review.reviewer"
REVIEW_RANK = "llm_council.review.rank"
REVIEW_BORDA_POINTS = "llm_council.review.borda_points"
PEER_REVIEW = "council_peer_review"

OPERATION_CHAT = "chat"
PROVIDER_OPENROUTER = "openrouter"


# Request strings are recorded before validation; cap them (characters) so an
# oversized field cannot bloat a span. Valid values are never longer than this.
MAX_RECORDED_CHARS = 256


def _cap(text: str) -> str:
    return text[:MAX_RECORDED_CHARS]


def span_name(requested_model: str) -> str:
    return f"{OPERATION_CHAT} {_cap(requested_model)}".strip()


def request_attributes(
    request: pb.RouteSeatRequest,
    *,
    streaming: bool,
    server_address: str,
    server_port: int,
) -> Attributes:
    """What is known before validation: the raw request."""
    attrs: Attributes = {
        GEN_AI_OPERATION_NAME: OPERATION_CHAT,
        GEN_AI_PROVIDER_NAME: PROVIDER_OPENROUTER,
        GEN_AI_REQUEST_MODEL: _cap(request.model),
        COUNCIL_TIER: TIER_NAMES.get(request.tier, ""),
        COUNCIL_SESSION_ID: _cap(request.session_id),
        COUNCIL_SEAT_ID: _cap(request.seat_id),
        COUNCIL_STREAMING: streaming,
        SERVER_ADDRESS: server_address,
        SERVER_PORT: server_port,
    }
    if request.session_id:
        attrs[GEN_AI_CONVERSATION_ID] = _cap(request.session_id)
    if request.HasField("temperature"):
        attrs[GEN_AI_REQUEST_TEMPERATURE] = request.temperature
    if request.HasField("top_p"):
        attrs[GEN_AI_REQUEST_TOP_P] = request.top_p
    if request.HasField("max_tokens"):
        attrs[GEN_AI_REQUEST_MAX_TOKENS] = request.max_tokens
    if request.HasField("seed"):
        attrs[GEN_AI_REQUEST_SEED] = request.seed
    if request.stop:
        attrs[GEN_AI_REQUEST_STOP_SEQUENCES] = [_cap(s) for s in request.stop[:8]]
    return attrs


def call_attributes(call: SeatCall) -> Attributes:
    """What the router decided: requested model after folding, pool, Pareto steering."""
    plan = call.pareto
    attrs: Attributes = {
        GEN_AI_REQUEST_MODEL: call.requested_model,
        COUNCIL_POOL_MODELS: list(call.pool_models),
        PARETO_APPLIED: plan.applied,
        PARETO_NITRO: plan.nitro,
    }
    if plan.applied:
        attrs[PARETO_BAND] = plan.band or "high"
        if plan.min_coding_score is not None:
            attrs[PARETO_MIN_CODING_SCORE] = plan.min_coding_score
        if plan.max_price is not None:
            attrs[PARETO_MAX_PRICE] = plan.max_price
        if plan.price_source is not None:
            attrs[PARETO_PRICE_SOURCE] = plan.price_source
    return attrs


def completion_attributes(completion: Completion, call: SeatCall) -> Attributes:
    """What OpenRouter answered."""
    usage = completion.usage
    attrs: Attributes = {
        GEN_AI_RESPONSE_MODEL: completion.resolved_model,
        GEN_AI_USAGE_INPUT_TOKENS: usage.input_tokens,
        GEN_AI_USAGE_OUTPUT_TOKENS: usage.output_tokens,
        GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS: usage.cached_tokens,
        GEN_AI_USAGE_REASONING_OUTPUT_TOKENS: usage.reasoning_tokens,
        COUNCIL_DUPLICATE_OF_POOL: is_duplicate_of_pool(
            completion.resolved_model, call.pool_models
        ),
    }
    if completion.generation_id:
        attrs[GEN_AI_RESPONSE_ID] = completion.generation_id
    if completion.finish_reason:
        attrs[GEN_AI_RESPONSE_FINISH_REASONS] = [completion.finish_reason]
    if completion.provider:
        attrs[OPENROUTER_PROVIDER] = completion.provider
    if usage.cost_usd is not None:
        attrs[OPENROUTER_COST_USD] = usage.cost_usd
    routing = completion.routing
    if routing is not None:
        if isinstance(routing.get("strategy"), str):
            attrs[ROUTING_STRATEGY] = routing["strategy"]
        if isinstance(routing.get("attempt"), int):
            attrs[ROUTING_ATTEMPT] = routing["attempt"]
        endpoints = routing.get("endpoints")
        if isinstance(endpoints, dict) and isinstance(endpoints.get("total"), int):
            attrs[ROUTING_ENDPOINTS_TOTAL] = endpoints["total"]
        if isinstance(routing.get("summary"), str):
            attrs[ROUTING_SUMMARY] = routing["summary"]
    return attrs


def input_messages_json(messages: Sequence[pb.ChatMessage]) -> str:
    """GenAI semconv message shape; only recorded with ROUTER_CAPTURE_CONTENT=true."""
    return json.dumps(
        [{"role": m.role, "parts": [{"type": "text", "content": m.content}]} for m in messages]
    )


def output_messages_json(completion: Completion) -> str:
    return json.dumps(
        [
            {
                "role": "assistant",
                "parts": [{"type": "text", "content": completion.content}],
                "finish_reason": completion.finish_reason,
            }
        ]
    )


def review_event_attributes(request: pb.RecordSeatReviewRequest) -> Attributes:
    attrs: Attributes = {
        EVALUATION_NAME: PEER_REVIEW,
        EVALUATION_SCORE_VALUE: request.score,
        COUNCIL_SESSION_ID: request.session_id,
        REVIEW_REVIEWER: request.reviewer,
    }
    if request.generation_id:
        attrs[GEN_AI_RESPONSE_ID] = request.generation_id
    if request.resolved_model:
        attrs[GEN_AI_RESPONSE_MODEL] = request.resolved_model
    if request.requested_model:
        attrs[GEN_AI_REQUEST_MODEL] = request.requested_model
    if request.seat_id:
        attrs[COUNCIL_SEAT_ID] = request.seat_id
    if request.tier in TIER_NAMES:
        attrs[COUNCIL_TIER] = TIER_NAMES[request.tier]
    if request.rank:
        attrs[REVIEW_RANK] = request.rank
    if request.HasField("borda_points"):
        attrs[REVIEW_BORDA_POINTS] = request.borda_points
    return attrs
