"""Confidence bands: how much evidence stands behind a number."""

from __future__ import annotations

import enum

INSUFFICIENT_BELOW = 10
PRELIMINARY_BELOW = 30
MODERATE_BELOW = 100


class Confidence(enum.IntEnum):
    """Same numbers as llmcouncil.telemetry.v1.Confidence."""

    UNSPECIFIED = 0
    INSUFFICIENT = 1
    PRELIMINARY = 2
    MODERATE = 3
    HIGH = 4


def confidence_for(count: int) -> Confidence:
    """INSUFFICIENT < 10 observations, PRELIMINARY < 30, MODERATE < 100, else HIGH."""
    if count < INSUFFICIENT_BELOW:
        return Confidence.INSUFFICIENT
    if count < PRELIMINARY_BELOW:
        return Confidence.PRELIMINARY
    if count < MODERATE_BELOW:
        return Confidence.MODERATE
    return Confidence.HIGH
