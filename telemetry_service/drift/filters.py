"""The drift filter: validation, defaults, and the duration / time syntax of the CLI (pure)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import re

from telemetry_service.drift.events import DEFAULT_DIVERGENCE_THRESHOLD

TIERS = ("quick", "balanced", "high", "reasoning", "frontier")
PARETO_MODELS = ("openrouter/pareto-code", "openrouter/pareto-code:nitro")
DEFAULT_WINDOW_S = 86_400
DEFAULT_WINDOW_COUNT = 30
# More windows than this make a report nobody reads and a share table of millions of rows.
MAX_WINDOWS = 100_000
MAX_MODEL_ID_CHARS = 256

_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3_600, "d": 86_400, "w": 604_800}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$", re.IGNORECASE)


class FilterError(ValueError):
    """A filter value is invalid; `field` names it (e.g. "filter.window")."""

    def __init__(self, field: str, description: str) -> None:
        super().__init__(f"{field}: {description}")
        self.field = field
        self.description = description


@dataclasses.dataclass(frozen=True)
class DriftQuery:
    """A validated filter with defaults filled in. Times are epoch seconds (UTC).

    `since` is aligned down to the window length, so every window is whole.
    """

    tier: str
    window_s: int
    since: float
    until: float
    requested_model: str
    divergence_threshold: float
    until_is_now: bool

    @property
    def requested_models(self) -> tuple[str, ...]:
        return (self.requested_model,) if self.requested_model else PARETO_MODELS

    @property
    def tiers(self) -> tuple[str, ...]:
        return (self.tier,) if self.tier else TIERS


def resolve_filter(
    *,
    tier: str,
    window_s: float | None,
    since: float | None,
    until: float | None,
    requested_model: str,
    divergence_threshold: float,
    now: float,
) -> DriftQuery:
    """Validate and fill defaults: window 1 day, until now, since 30 windows before until."""
    if tier and tier not in TIERS:
        raise FilterError(
            "filter.tier", f"unknown tier {tier!r}; expected one of {', '.join(TIERS)}"
        )
    window = DEFAULT_WINDOW_S if window_s is None else window_s
    if not math.isfinite(window) or window < 1:
        raise FilterError("filter.window", f"must be at least 1 s, got {window:g} s")
    if window != int(window):
        raise FilterError("filter.window", f"must be whole seconds, got {window:g} s")
    window = int(window)
    if since is not None and since > now:
        raise FilterError("filter.since", "is in the future")
    end = now if until is None else until
    start = end - DEFAULT_WINDOW_COUNT * window if since is None else since
    if end <= start:
        raise FilterError("filter.until", "must be after filter.since")
    aligned = math.floor(start / window) * window
    if (end - aligned) / window > MAX_WINDOWS:
        raise FilterError(
            "filter.window",
            f"the range holds more than {MAX_WINDOWS} windows of {window} s; "
            "use a longer window or a shorter range",
        )
    if not math.isfinite(divergence_threshold) or not 0 <= divergence_threshold <= 1:
        raise FilterError("filter.divergence_threshold", "must be between 0 and 1")
    if len(requested_model) > MAX_MODEL_ID_CHARS:
        raise FilterError("filter.requested_model", f"longer than {MAX_MODEL_ID_CHARS} characters")
    return DriftQuery(
        tier=tier,
        window_s=window,
        since=float(aligned),
        until=float(end),
        requested_model=requested_model,
        divergence_threshold=divergence_threshold or DEFAULT_DIVERGENCE_THRESHOLD,
        until_is_now=until is None,
    )


def parse_duration(text: str) -> float:
    """Seconds of "10s", "30m", "1h", "1d", "1w" (a number then one unit); ValueError else."""
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"expected a duration like 10s, 30m, 1h, 1d or 1w, got {text!r}")
    return float(match.group(1)) * _UNIT_SECONDS[match.group(2).lower()]


def parse_time(text: str, now: float) -> float:
    """Epoch seconds of a duration ago ("1d" = now - 1 day) or an ISO-8601 time (naive = UTC)."""
    try:
        return now - parse_duration(text)
    except ValueError:
        pass
    try:
        parsed = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"expected a duration like 1d or an ISO time like 2026-01-31T12:00:00Z, got {text!r}"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.timestamp()
