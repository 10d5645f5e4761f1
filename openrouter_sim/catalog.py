"""Simulated model catalog entries and their OpenRouter `/models` representation."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

PARETO_MODEL = "openrouter/pareto-code"
PARETO_NITRO_MODEL = "openrouter/pareto-code:nitro"
PARETO_MODELS = frozenset({PARETO_MODEL, PARETO_NITRO_MODEL})
# Suffixes OpenRouter accepts on any model id; the simulator serves the base model for them.
VARIANT_SUFFIXES = (":nitro", ":floor", ":free", ":exacto")


@dataclass(frozen=True)
class ModelInfo:
    """One concrete model as the simulated OpenRouter knows it in one epoch."""

    id: str
    name: str
    provider: str  # provider display name, as in the response `provider` field
    prompt_price: float  # USD per prompt token
    completion_price: float  # USD per completion token
    context_length: int  # tokens
    coding_index: float  # Artificial Analysis coding index, 0..100
    throughput_tps: float  # measured output tokens per second (nitro ranks by this)
    created: int  # epoch seconds when the model "landed"

    @property
    def blended_price(self) -> float:
        """USD per token with a 3:1 prompt:completion mix (how "cheapest" is ranked)."""
        return (3 * self.prompt_price + self.completion_price) / 4

    def with_changes(self, **changes: Any) -> ModelInfo:
        return dataclasses.replace(self, **changes)


def per_million(usd_per_million_tokens: float) -> float:
    """USD per million tokens -> USD per token, without float noise in the last digits."""
    return round(usd_per_million_tokens / 1_000_000, 12)


def price_string(usd_per_token: float) -> str:
    """Format a per-token price as OpenRouter does: plain decimal string, no exponent."""
    text = format(Decimal(repr(usd_per_token)), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def base_model_id(model: str) -> str:
    """Strip a known variant suffix (`:nitro`, ...) from a concrete model id."""
    for suffix in VARIANT_SUFFIXES:
        if model.endswith(suffix):
            return model[: -len(suffix)]
    return model


def model_json(model: ModelInfo) -> dict[str, Any]:
    """One entry of `GET /api/v1/models` `data`, shaped like OpenRouter's."""
    return {
        "id": model.id,
        "canonical_slug": model.id,
        "name": model.name,
        "created": model.created,
        "description": f"Simulated {model.name} for tests and demos.",
        "context_length": model.context_length,
        "architecture": {
            "modality": "text->text",
            "input_modalities": ["text"],
            "output_modalities": ["text"],
            "tokenizer": "Other",
            "instruct_type": None,
        },
        "pricing": {
            "prompt": price_string(model.prompt_price),
            "completion": price_string(model.completion_price),
            "request": "0",
            "image": "0",
            "web_search": "0",
            "internal_reasoning": "0",
        },
        "top_provider": {
            "context_length": model.context_length,
            "max_completion_tokens": min(model.context_length, 65_536),
            "is_moderated": False,
        },
        "per_request_limits": None,
        "supported_parameters": ["max_tokens", "temperature", "stop", "tools", "tool_choice"],
        "benchmarks": {"artificial_analysis": {"coding_index": model.coding_index}},
    }


def pareto_router_json(model_id: str, created: int) -> dict[str, Any]:
    """The Pareto meta-model entry: OpenRouter lists routers with price "-1" (varies)."""
    return {
        "id": model_id,
        "canonical_slug": model_id,
        "name": "Pareto Code Router" + (" (nitro)" if model_id.endswith(":nitro") else ""),
        "created": created,
        "description": "Routes to the cheapest model of a coding-score band on the frontier.",
        "context_length": 2_000_000,
        "architecture": {
            "modality": "text->text",
            "input_modalities": ["text"],
            "output_modalities": ["text"],
            "tokenizer": "Router",
            "instruct_type": None,
        },
        "pricing": {"prompt": "-1", "completion": "-1"},
        "top_provider": {"context_length": None, "max_completion_tokens": None},
        "per_request_limits": None,
        "supported_parameters": ["max_tokens", "temperature", "stop"],
    }


def models_body(models: Iterable[ModelInfo], created: int) -> dict[str, Any]:
    """The full `GET /api/v1/models` body for one epoch's catalog."""
    data = [model_json(m) for m in models]
    data.extend(pareto_router_json(m, created) for m in sorted(PARETO_MODELS))
    return {"data": data}


def index_by_id(models: Iterable[ModelInfo]) -> Mapping[str, ModelInfo]:
    return {m.id: m for m in models}
