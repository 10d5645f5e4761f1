"""The Pareto frontier: bands, epochs, the schedule over time, and the pick rule (pure)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from openrouter_sim.catalog import ModelInfo, index_by_id

HIGH_THRESHOLD = 0.66
MEDIUM_THRESHOLD = 0.33


class Band(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


def band_for_score(min_coding_score: float | None) -> Band:
    """OpenRouter's banding: >= 0.66 high, >= 0.33 medium, else low; omitted means high."""
    if min_coding_score is None or min_coding_score >= HIGH_THRESHOLD:
        return Band.HIGH
    if min_coding_score >= MEDIUM_THRESHOLD:
        return Band.MEDIUM
    return Band.LOW


@dataclass(frozen=True)
class MaxPrice:
    """Price ceiling from the plugin's `max_price`, in USD per million tokens.

    A bare number in the request caps the prompt price; an object may carry `prompt` and
    `completion` caps. A model priced above any given cap is excluded.
    """

    prompt_per_m: float | None = None
    completion_per_m: float | None = None

    def allows(self, model: ModelInfo) -> bool:
        # 1e-9 USD/M tolerance: prices are decimal numbers stored as floats.
        if self.prompt_per_m is not None and model.prompt_price * 1e6 > self.prompt_per_m + 1e-9:
            return False
        return not (
            self.completion_per_m is not None
            and model.completion_price * 1e6 > self.completion_per_m + 1e-9
        )

    def to_json(self) -> dict[str, float]:
        out: dict[str, float] = {}
        if self.prompt_per_m is not None:
            out["prompt"] = self.prompt_per_m
        if self.completion_per_m is not None:
            out["completion"] = self.completion_per_m
        return out


@dataclass(frozen=True)
class Epoch:
    """One period of the frontier: the catalog and, per band, an ordered shortlist of ids."""

    name: str
    models: tuple[ModelInfo, ...]
    bands: Mapping[Band, tuple[str, ...]]
    _by_id: Mapping[str, ModelInfo] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_id = index_by_id(self.models)
        object.__setattr__(self, "_by_id", by_id)
        for band in Band:
            ids = self.bands.get(band)
            if not ids:
                raise ValueError(f"epoch {self.name!r}: band {band} has an empty shortlist")
            missing = [m for m in ids if m not in by_id]
            if missing:
                raise ValueError(f"epoch {self.name!r}: band {band} lists unknown {missing}")

    def model(self, model_id: str) -> ModelInfo | None:
        return self._by_id.get(model_id)

    def shortlist(self, band: Band) -> list[ModelInfo]:
        return [self._by_id[m] for m in self.bands[band]]

    def candidates(self, band: Band, max_price: MaxPrice | None = None) -> list[ModelInfo]:
        """The band's shortlist, without models priced above `max_price`."""
        return [m for m in self.shortlist(band) if max_price is None or max_price.allows(m)]

    def pick(self, band: Band, *, nitro: bool = False, max_price: MaxPrice | None = None) -> str:
        """Cheapest candidate (blended price), or the fastest for nitro; ties keep list order.

        Raises LookupError when `max_price` excludes every model of the band.
        """
        found = self.candidates(band, max_price)
        if not found:
            raise LookupError(f"no {band} model within max_price")
        if nitro:
            return max(found, key=lambda m: m.throughput_tps).id
        return min(found, key=lambda m: m.blended_price).id

    def frontier_json(self) -> dict[str, Any]:
        return {
            band.value: {
                "shortlist": list(self.bands[band]),
                "pick": self.pick(band),
                "nitro_pick": self.pick(band, nitro=True),
            }
            for band in Band
        }


@dataclass(frozen=True)
class FrontierSchedule:
    """Epochs in order; epoch i is active from start + i * shift_every_s.

    After the last epoch the schedule cycles back to the first when `cycle` is true (the
    default, so a long demo keeps drifting), else it stays on the last epoch.
    """

    epochs: Sequence[Epoch]
    cycle: bool = True

    def __post_init__(self) -> None:
        if not self.epochs:
            raise ValueError("a schedule needs at least one epoch")

    def epoch_index(self, elapsed_s: float, shift_every_s: float | None) -> int:
        if shift_every_s is None or elapsed_s < 0:
            return 0
        step = math.floor(elapsed_s / shift_every_s)
        if self.cycle:
            return step % len(self.epochs)
        return min(step, len(self.epochs) - 1)

    def epoch_at(self, elapsed_s: float, shift_every_s: float | None) -> Epoch:
        return self.epochs[self.epoch_index(elapsed_s, shift_every_s)]

    def to_json(self) -> list[dict[str, Any]]:
        return [
            {"index": i, "name": e.name, "frontier": e.frontier_json()}
            for i, e in enumerate(self.epochs)
        ]
