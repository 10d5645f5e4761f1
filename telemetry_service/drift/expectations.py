"""Expected mean cost per call per tier (USD), for the cost check.

Looked up in order: the settings attribute `expected_cost_usd` (a tier -> USD mapping), the
TELEMETRY_EXPECTED_COST_USD variable ("quick=0.0005,balanced=0.004"), then the router's tier
file (ROUTER_TIERS_FILE, else router_service/data/tiers.yaml when installed). Tiers without
an expectation get 0 (no check).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

_LOG = logging.getLogger(__name__)
ENV_VARIABLE = "TELEMETRY_EXPECTED_COST_USD"


def parse_expectations(text: str) -> dict[str, float]:
    """ "tier=usd,tier=usd" -> mapping; ValueError naming the bad item."""
    result: dict[str, float] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        tier, sep, value = item.partition("=")
        try:
            usd = float(value)
        except ValueError:
            usd = math.nan
        if not sep or not tier.strip() or not math.isfinite(usd) or usd < 0:
            raise ValueError(f"{ENV_VARIABLE}: expected tier=USD items, got {item!r}")
        result[tier.strip()] = usd
    return result


def expectations_from_tiers_yaml(document: Any) -> dict[str, float]:
    """`tiers: {name: {expected_cost_usd: x}}` (or a list of {name: ..}) -> mapping."""
    tiers = document.get("tiers") if isinstance(document, Mapping) else None
    items: list[tuple[Any, Any]] = []
    if isinstance(tiers, Mapping):
        items = list(tiers.items())
    elif isinstance(tiers, list):
        items = [(t.get("name"), t) for t in tiers if isinstance(t, Mapping)]
    result: dict[str, float] = {}
    for name, config in items:
        value = config.get("expected_cost_usd") if isinstance(config, Mapping) else None
        if isinstance(name, str) and isinstance(value, int | float) and value > 0:
            result[name] = float(value)
    return result


def _router_tiers_text(environ: Mapping[str, str]) -> str | None:
    path = environ.get("ROUTER_TIERS_FILE", "").strip()
    if path:
        return Path(path).read_text()
    try:
        return resources.files("router_service").joinpath("data", "tiers.yaml").read_text()
    except (ModuleNotFoundError, FileNotFoundError):
        return None


def load_expectations(settings: object, environ: Mapping[str, str]) -> dict[str, float]:
    """The first configured source wins (see the module docstring)."""
    configured = getattr(settings, "expected_cost_usd", None)
    if isinstance(configured, Mapping) and configured:
        return {str(k): float(v) for k, v in configured.items()}
    text = environ.get(ENV_VARIABLE, "").strip()
    if text:
        return parse_expectations(text)
    try:
        tiers_text = _router_tiers_text(environ)
        return expectations_from_tiers_yaml(yaml.safe_load(tiers_text)) if tiers_text else {}
    except (OSError, yaml.YAMLError) as exc:
        _LOG.warning("tier cost expectations unreadable, cost check disabled: %s", exc)
        return {}
