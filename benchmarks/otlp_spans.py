"""Realistic selection spans (docs/telemetry-attributes.md) as serialized OTLP export requests.

Generated ahead of the load and deterministic for a seed, so the service run and the
direct-insert run map exactly the same spans to the same rows.
"""

from __future__ import annotations

import random
import time

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, ArrayValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span

# tier -> (score sent, band); frontier omits the score (OpenRouter's default band is high).
TIERS: dict[str, tuple[float | None, str]] = {
    "quick": (0.2, "low"),
    "balanced": (0.5, "medium"),
    "high": (0.8, "high"),
    "reasoning": (0.9, "high"),
    "frontier": (None, "high"),
}
BAND_MODELS = {
    "low": [("qwen/qwen3-coder-flash", "Chutes"), ("mistralai/devstral-small", "Mistral")],
    "medium": [("qwen/qwen3-coder", "DeepInfra"), ("moonshotai/kimi-k2", "Groq")],
    "high": [("anthropic/claude-sonnet-4.5", "Anthropic"), ("openai/gpt-5", "OpenAI")],
}
POOL = ["anthropic/claude-sonnet-4.5", "openai/gpt-5", "google/gemini-2.5-pro"]
SPAN_DURATION_NS = 850_000_000


def _kv(key: str, value: object) -> KeyValue:
    if isinstance(value, bool):
        return KeyValue(key=key, value=AnyValue(bool_value=value))
    if isinstance(value, int):
        return KeyValue(key=key, value=AnyValue(int_value=value))
    if isinstance(value, float):
        return KeyValue(key=key, value=AnyValue(double_value=value))
    if isinstance(value, list):
        items = [AnyValue(string_value=str(v)) for v in value]
        return KeyValue(key=key, value=AnyValue(array_value=ArrayValue(values=items)))
    return KeyValue(key=key, value=AnyValue(string_value=str(value)))


def selection_attributes(
    tier: str, model: str, provider: str, rng: random.Random
) -> list[KeyValue]:
    """The attributes the router sets on one RouteSeat span (non-streaming, success)."""
    score, band = TIERS[tier]
    session = f"council-{rng.randrange(1 << 40):010x}"
    attrs: list[tuple[str, object]] = [
        ("gen_ai.operation.name", "chat"),
        ("gen_ai.provider.name", "openrouter"),
        ("gen_ai.request.model", "openrouter/pareto-code"),
        ("gen_ai.response.model", model),
        ("gen_ai.response.id", f"gen-{rng.randrange(1 << 60):015x}"),
        ("gen_ai.response.finish_reasons", ["stop"]),
        ("gen_ai.conversation.id", session),
        ("gen_ai.usage.input_tokens", rng.randrange(200, 4000)),
        ("gen_ai.usage.output_tokens", rng.randrange(50, 2000)),
        ("gen_ai.usage.cache_read.input_tokens", 0),
        ("gen_ai.usage.reasoning.output_tokens", 0),
        ("server.address", "openrouter.ai"),
        ("server.port", 443),
        ("llm_council.tier", tier),
        ("llm_council.session.id", session),
        ("llm_council.seat.id", "pareto"),
        ("llm_council.pool.models", POOL),
        ("llm_council.duplicate_of_pool", model in POOL),
        ("llm_council.attempts", 1),
        ("llm_council.streaming", False),
        ("openrouter.provider", provider),
        ("openrouter.cost_usd", round(rng.uniform(0.0001, 0.05), 6)),
        ("openrouter.pareto.applied", True),
        ("openrouter.pareto.band", band),
        ("openrouter.pareto.nitro", False),
        ("openrouter.routing.strategy", "pareto"),
        ("openrouter.routing.attempt", 1),
        ("openrouter.routing.endpoints_total", 3),
        ("openrouter.routing.summary", f"pareto: {band} band"),
    ]
    if score is not None:
        attrs.append(("openrouter.pareto.min_coding_score", score))
    return [_kv(k, v) for k, v in attrs]


def _templates(count: int, rng: random.Random) -> list[Span]:
    """Distinct fully attributed spans; the load copies them and changes the ids."""
    tiers = list(TIERS)
    out = []
    for index in range(count):
        tier = tiers[index % len(tiers)]
        model, provider = rng.choice(BAND_MODELS[TIERS[tier][1]])
        span = Span(name="chat openrouter/pareto-code", kind=Span.SPAN_KIND_CLIENT)
        span.attributes.extend(selection_attributes(tier, model, provider, rng))
        out.append(span)
    return out


def build_requests(
    n_requests: int, spans_per_request: int, seed: int = 7, end_unix_s: float | None = None
) -> list[bytes]:
    """``n_requests`` serialized ExportTraceServiceRequests of ``spans_per_request`` spans.

    Spans are copies of 250 distinct templates (5 tiers x models, sessions, usage) with
    unique trace/span ids and a unique generation id; they start one millisecond apart and
    the last one starts at ``end_unix_s`` (default: now), so rows land in recent partitions.
    """
    rng = random.Random(seed)
    templates = _templates(250, rng)
    generation_index = [kv.key for kv in templates[0].attributes].index("gen_ai.response.id")
    total = n_requests * spans_per_request
    end_ns = int((end_unix_s or time.time()) * 1e9)
    first_ns = end_ns - total * 1_000_000
    resource = [
        _kv("service.name", "router-service"),
        _kv("service.version", "0.1.0"),
        _kv("service.instance.id", "bench-1"),
    ]
    out: list[bytes] = []
    index = 0
    for _ in range(n_requests):
        request = ExportTraceServiceRequest()
        resource_spans = request.resource_spans.add()
        resource_spans.resource.attributes.extend(resource)
        scope_spans = resource_spans.scope_spans.add()
        scope_spans.scope.name = "router_service"
        spans = scope_spans.spans
        for _ in range(spans_per_request):
            span = spans.add()
            span.CopyFrom(templates[index % len(templates)])
            span.trace_id = rng.randbytes(16)
            span.span_id = rng.randbytes(8)
            span.start_time_unix_nano = first_ns + index * 1_000_000
            span.end_time_unix_nano = span.start_time_unix_nano + SPAN_DURATION_NS
            span.attributes[generation_index].value.string_value = f"gen-{index:015x}"
            index += 1
        out.append(request.SerializeToString())
    return out
