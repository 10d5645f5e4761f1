"""The default simulated frontier: four epochs where every shift moves some band's pick.

Model ids live in real vendors' namespaces but prices, scores and speeds are simulated.
A pick is the cheapest shortlisted model by blended price, (3 * prompt + completion) / 4;
the nitro pick is the fastest by throughput.

| epoch               | low (nitro)          | medium (nitro)          | high (nitro)          |
|---------------------|----------------------|-------------------------|-----------------------|
| 0-baseline          | deepseek-v3.2 (grok) | minimax-m2.1 (same)     | gemini-3.1-pro (same) |
| 1-gpt-5.4-price-cut | deepseek-v3.2 (grok) | minimax-m2.1 (same)     | gpt-5.4 (gemini)      |
| 2-glm-4.7-lands     | deepseek-v3.2 (grok) | glm-4.7 (minimax)       | gpt-5.4 (gemini)      |
| 3-deepseek-moves-up | qwen3-coder (grok)   | deepseek-v3.2 (minimax) | claude-opus-4.7 (gpt) |
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from openrouter_sim.catalog import ModelInfo, per_million
from openrouter_sim.frontier import Band, Epoch, FrontierSchedule

# A fixed "landing" time (2026-01-01T00:00:00Z) keeps the catalog deterministic.
_CREATED = 1_767_225_600
_DAY_S = 86_400


def _model(
    model_id: str,
    name: str,
    provider: str,
    prices_per_m: tuple[float, float],
    context_length: int,
    coding_index: float,
    throughput_tps: float,
    landed_day: int = 0,
) -> ModelInfo:
    return ModelInfo(
        id=model_id,
        name=name,
        provider=provider,
        prompt_price=per_million(prices_per_m[0]),
        completion_price=per_million(prices_per_m[1]),
        context_length=context_length,
        coding_index=coding_index,
        throughput_tps=throughput_tps,
        created=_CREATED + landed_day * _DAY_S,
    )


def _base_models() -> dict[str, ModelInfo]:
    models = [
        _model("qwen/qwen3-coder", "Qwen: Qwen3 Coder", "Alibaba", (0.22, 0.95), 262_144, 44, 95),
        _model(
            "deepseek/deepseek-v3.2", "DeepSeek: V3.2", "DeepSeek", (0.28, 0.42), 163_840, 46, 32
        ),
        _model("z-ai/glm-4.6", "Z.AI: GLM 4.6", "Z.AI", (0.40, 1.75), 202_752, 52, 70),
        _model(
            "x-ai/grok-code-fast-1", "xAI: Grok Code Fast 1", "xAI", (0.20, 1.50), 256_000, 41, 160
        ),
        _model(
            "moonshotai/kimi-k2.6",
            "MoonshotAI: Kimi K2.6",
            "Moonshot AI",
            (0.60, 2.50),
            262_144,
            63,
            45,
        ),
        _model(
            "minimax/minimax-m2.1",
            "MiniMax: MiniMax M2.1",
            "Minimax",
            (0.30, 1.20),
            204_800,
            58,
            90,
        ),
        _model(
            "google/gemini-3.1-pro-preview",
            "Google: Gemini 3.1 Pro Preview",
            "Google",
            (2.00, 12.00),
            1_048_576,
            78,
            110,
        ),
        _model("openai/gpt-5.4", "OpenAI: GPT-5.4", "OpenAI", (2.50, 15.00), 400_000, 81, 80),
        _model(
            "anthropic/claude-opus-4.7",
            "Anthropic: Claude Opus 4.7",
            "Anthropic",
            (5.00, 25.00),
            200_000,
            84,
            55,
        ),
    ]
    return {m.id: m for m in models}


def _apply(models: dict[str, ModelInfo], changes: Mapping[str, Mapping[str, Any]]) -> None:
    for model_id, fields in changes.items():
        updated = dict(fields)
        for key in ("prompt_price", "completion_price"):
            if key in updated:
                updated[key] = per_million(updated[key])
        models[model_id] = models[model_id].with_changes(**updated)


def default_schedule(cycle: bool = True) -> FrontierSchedule:
    """Build the default four-epoch schedule (a new object each call; nothing shared)."""
    models = _base_models()
    epochs: list[Epoch] = []

    low0 = ("z-ai/glm-4.6", "deepseek/deepseek-v3.2", "qwen/qwen3-coder", "x-ai/grok-code-fast-1")
    medium0 = ("moonshotai/kimi-k2.6", "minimax/minimax-m2.1")
    high = ("anthropic/claude-opus-4.7", "openai/gpt-5.4", "google/gemini-3.1-pro-preview")
    epochs.append(
        Epoch(
            "0-baseline",
            tuple(models.values()),
            {Band.LOW: low0, Band.MEDIUM: medium0, Band.HIGH: high},
        )
    )

    # OpenAI halves gpt-5.4's prompt price: the high band's cheapest model changes.
    _apply(models, {"openai/gpt-5.4": {"prompt_price": 1.25, "completion_price": 10.00}})
    epochs.append(
        Epoch(
            "1-gpt-5.4-price-cut",
            tuple(models.values()),
            {Band.LOW: low0, Band.MEDIUM: medium0, Band.HIGH: high},
        )
    )

    # A new medium model lands and MiniMax raises prices: the medium pick changes.
    models["z-ai/glm-4.7"] = _model(
        "z-ai/glm-4.7", "Z.AI: GLM 4.7", "Z.AI", (0.45, 1.90), 202_752, 66, 75, landed_day=100
    )
    _apply(models, {"minimax/minimax-m2.1": {"prompt_price": 0.60, "completion_price": 2.40}})
    medium2 = ("z-ai/glm-4.7", "moonshotai/kimi-k2.6", "minimax/minimax-m2.1")
    epochs.append(
        Epoch(
            "2-glm-4.7-lands",
            tuple(models.values()),
            {Band.LOW: low0, Band.MEDIUM: medium2, Band.HIGH: high},
        )
    )

    # DeepSeek's score rises into the medium band, Anthropic cuts Opus prices and Gemini
    # slows down: every band's pick (and the high nitro pick) changes.
    _apply(
        models,
        {
            "deepseek/deepseek-v3.2": {"coding_index": 60},
            "anthropic/claude-opus-4.7": {"prompt_price": 1.50, "completion_price": 7.50},
            "google/gemini-3.1-pro-preview": {"throughput_tps": 70},
        },
    )
    low3 = ("z-ai/glm-4.6", "qwen/qwen3-coder", "x-ai/grok-code-fast-1")
    medium3 = (
        "z-ai/glm-4.7",
        "moonshotai/kimi-k2.6",
        "deepseek/deepseek-v3.2",
        "minimax/minimax-m2.1",
    )
    epochs.append(
        Epoch(
            "3-deepseek-moves-up",
            tuple(models.values()),
            {Band.LOW: low3, Band.MEDIUM: medium3, Band.HIGH: high},
        )
    )
    return FrontierSchedule(tuple(epochs), cycle=cycle)
