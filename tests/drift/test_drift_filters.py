"""Pure filter validation and the CLI's duration / time syntax."""

from __future__ import annotations

import pytest

from telemetry_service.drift.filters import (
    FilterError,
    parse_duration,
    parse_time,
    resolve_filter,
)

NOW = 1_800_000_000.0


def resolve(**overrides: object):  # type: ignore[no-untyped-def]
    args: dict[str, object] = {
        "tier": "",
        "window_s": None,
        "since": None,
        "until": None,
        "requested_model": "",
        "divergence_threshold": 0.0,
        "now": NOW,
    }
    args.update(overrides)
    return resolve_filter(**args)  # type: ignore[arg-type]


def test_defaults_are_thirty_daily_windows_up_to_now_on_pareto_seats() -> None:
    query = resolve()
    assert query.window_s == 86_400
    assert query.until == NOW
    assert query.since == (NOW - 30 * 86_400) // 86_400 * 86_400
    assert query.requested_models == ("openrouter/pareto-code", "openrouter/pareto-code:nitro")
    assert query.divergence_threshold == 0.1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        pytest.param({"tier": "gold"}, "filter.tier", id="unknown-tier"),
        pytest.param({"window_s": 0.0}, "filter.window", id="window-0s"),
        pytest.param({"window_s": 0.5}, "filter.window", id="window-below-1s"),
        pytest.param({"window_s": 1.5}, "filter.window", id="window-fraction"),
        pytest.param({"since": NOW + 60}, "filter.since", id="since-in-future"),
        pytest.param({"since": NOW - 60, "until": NOW - 120}, "filter.until", id="until-before"),
        pytest.param({"window_s": 1.0, "since": NOW - 86_400 * 30}, "filter.window", id="too-many"),
        pytest.param({"divergence_threshold": 1.5}, "filter.divergence_threshold", id="jsd>1"),
    ],
)
def test_bad_filters_name_the_field(overrides: dict[str, object], field: str) -> None:
    with pytest.raises(FilterError) as caught:
        resolve(**overrides)
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        pytest.param("10s", 10, id="seconds"),
        pytest.param("30m", 1800, id="minutes"),
        pytest.param("1h", 3600, id="hours"),
        pytest.param("1d", 86_400, id="days"),
        pytest.param("1w", 604_800, id="weeks"),
    ],
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "10", "1y", "-1h", "h"])
def test_bad_durations_raise(text: str) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


def test_time_is_a_duration_ago_or_an_iso_timestamp() -> None:
    assert parse_time("1d", NOW) == NOW - 86_400
    assert parse_time("2026-01-31T12:00:00Z", NOW) == 1_769_860_800.0
    assert parse_time("2026-01-31T12:00:00", NOW) == 1_769_860_800.0
    with pytest.raises(ValueError, match="ISO"):
        parse_time("yesterday", NOW)
