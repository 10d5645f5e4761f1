"""Expected cost per tier: settings, then TELEMETRY_EXPECTED_COST_USD, then the router's tiers."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from telemetry_service.drift.expectations import (
    expectations_from_tiers_yaml,
    load_expectations,
    parse_expectations,
)


@dataclasses.dataclass
class WithExpectations:
    expected_cost_usd: dict[str, float]


def test_env_variable_is_parsed() -> None:
    assert parse_expectations("quick=0.0005, high=0.02") == {"quick": 0.0005, "high": 0.02}


@pytest.mark.parametrize("text", ["quick", "quick=", "quick=cheap", "=1", "quick=-1"])
def test_bad_env_item_names_the_variable(text: str) -> None:
    with pytest.raises(ValueError, match="TELEMETRY_EXPECTED_COST_USD"):
        parse_expectations(text)


def test_tiers_yaml_mapping_and_list_forms() -> None:
    mapping = {"tiers": {"quick": {"expected_cost_usd": 0.001}, "frontier": {}}}
    listing = {"tiers": [{"name": "high", "expected_cost_usd": 0.02}, {"name": "x"}]}
    assert expectations_from_tiers_yaml(mapping) == {"quick": 0.001}
    assert expectations_from_tiers_yaml(listing) == {"high": 0.02}
    assert expectations_from_tiers_yaml("junk") == {}


def test_settings_win_over_environment() -> None:
    settings = WithExpectations({"quick": 0.1})
    environ = {"TELEMETRY_EXPECTED_COST_USD": "quick=0.2"}
    assert load_expectations(settings, environ) == {"quick": 0.1}
    assert load_expectations(None, environ) == {"quick": 0.2}


def test_router_tiers_file_is_the_fallback(tmp_path: Path) -> None:
    tiers = tmp_path / "tiers.yaml"
    tiers.write_text("tiers:\n  balanced:\n    expected_cost_usd: 0.004\n")
    assert load_expectations(None, {"ROUTER_TIERS_FILE": str(tiers)}) == {"balanced": 0.004}


def test_unreadable_tiers_file_disables_the_check(tmp_path: Path) -> None:
    assert load_expectations(None, {"ROUTER_TIERS_FILE": str(tmp_path / "missing.yaml")}) == {}
