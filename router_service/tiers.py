"""The council's tier table and model registry, loaded from YAML and validated.

The files ship in `router_service/data/`; `ROUTER_CONFIG_DIR` may hold replacements
(each file found there wins over the shipped one). Every problem raises
`ConfigError` naming the file, the key path and the value.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from router_service.config import ConfigError

REGISTRY_FILE = "registry.yaml"
TIERS_FILE = "tiers.yaml"

# Proto enum numbers of llmcouncil.router.v1.Tier, in ListTiers order.
TIER_NUMBERS: dict[str, int] = {
    "quick": 1,
    "balanced": 2,
    "high": 3,
    "reasoning": 4,
    "frontier": 5,
}
TIER_NAMES: dict[int, str] = {number: name for name, number in TIER_NUMBERS.items()}

# OpenRouter's banding of min_coding_score.
HIGH_BAND_FLOOR = 0.66
MEDIUM_BAND_FLOOR = 0.33


def band_for(score: float | None) -> str:
    """OpenRouter's band for a min_coding_score: >= 0.66 high, >= 0.33 medium, else low.

    An omitted score (None) is OpenRouter's default, the high band.
    """
    if score is None or score >= HIGH_BAND_FLOOR:
        return "high"
    if score >= MEDIUM_BAND_FLOOR:
        return "medium"
    return "low"


def split_variant(model: str) -> tuple[str, str]:
    """`"a/b:nitro"` -> `("a/b", "nitro")`; no suffix -> `(model, "")`."""
    base, _, variant = model.partition(":")
    return base, variant


@dataclass(frozen=True)
class MetaModel:
    """A router model (the Pareto Router) and the plugin injected for it."""

    model_id: str
    plugin_id: str
    variants: tuple[str, ...]


@dataclass(frozen=True)
class TierSpec:
    name: str
    number: int
    min_coding_score: float | None
    pool_models: tuple[str, ...]
    includes_pareto_seat: bool
    timeout_s: float
    expected_cost_usd: float | None


@dataclass(frozen=True)
class TierTable:
    tiers: Mapping[int, TierSpec]
    pareto_model: str
    meta_models: Mapping[str, MetaModel]
    named_models: frozenset[str]
    default_timeout_s: float
    wildcard_seat: str | None

    def spec(self, tier_number: int) -> TierSpec | None:
        return self.tiers.get(tier_number)

    def meta_model_for(self, model: str) -> MetaModel | None:
        """The meta model `model` names (with an allowed variant), else None."""
        base, variant = split_variant(model)
        meta = self.meta_models.get(base)
        if meta is None or (variant and variant not in meta.variants):
            return None
        return meta

    def timeout_for(self, tier_number: int) -> float:
        spec = self.tiers.get(tier_number)
        return spec.timeout_s if spec is not None else self.default_timeout_s

    def seated_models(self, tier_number: int) -> tuple[str, ...]:
        """The tier's pool in seat order, with the Pareto seat last when it sits there."""
        spec = self.tiers.get(tier_number)
        if spec is None:
            return ()
        if spec.includes_pareto_seat:
            return (*spec.pool_models, self.pareto_model)
        return spec.pool_models


class _Reader:
    """Typed access to one parsed YAML file; errors name file, key and value."""

    def __init__(self, file_name: str) -> None:
        self.file_name = file_name

    def fail(self, key: str, value: object, problem: str) -> ConfigError:
        return ConfigError(f"{self.file_name}: {key}", f"{problem} (got {value!r})")

    def mapping(self, data: object, key: str) -> Mapping[str, Any]:
        if not isinstance(data, Mapping):
            raise self.fail(key, data, "must be a mapping")
        return data

    def number(self, data: Mapping[str, Any], key: str, path: str, lo: float, hi: float) -> float:
        value = data[key]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(path, value, "must be a number")
        if not math.isfinite(value) or not lo <= value <= hi:
            raise self.fail(path, value, f"must be between {lo} and {hi}")
        return float(value)

    def boolean(self, data: Mapping[str, Any], key: str, path: str, default: bool) -> bool:
        value = data.get(key, default)
        if not isinstance(value, bool):
            raise self.fail(path, value, "must be true or false")
        return value

    def text(self, data: Mapping[str, Any], key: str, path: str, default: str | None) -> str:
        value = data.get(key, default)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(path, value, "must be a non-empty string")
        return value.strip()

    def unknown_keys(self, data: Mapping[str, Any], allowed: set[str], prefix: str) -> None:
        for key in data:
            if key not in allowed:
                path = f"{prefix}.{key}" if prefix else str(key)
                raise self.fail(path, data[key], f"unknown key; expected one of {sorted(allowed)}")


def parse_registry(
    data: object, file_name: str = REGISTRY_FILE
) -> tuple[dict[str, MetaModel], set[str]]:
    r = _Reader(file_name)
    top = r.mapping(data, "(top level)")
    r.unknown_keys(top, {"models"}, "")
    models = top.get("models")
    if not isinstance(models, list) or not models:
        raise r.fail("models", models, "must be a non-empty list")
    meta: dict[str, MetaModel] = {}
    named: set[str] = set()
    for index, entry in enumerate(models):
        path = f"models[{index}]"
        item = r.mapping(entry, path)
        r.unknown_keys(item, {"id", "kind", "plugin", "variants"}, path)
        model_id = r.text(item, "id", f"{path}.id", None)
        if ":" in model_id:
            raise r.fail(f"{path}.id", model_id, "must not carry a :variant suffix")
        if model_id in meta or model_id in named:
            raise r.fail(f"{path}.id", model_id, "is listed twice")
        kind = item.get("kind", "named")
        if kind == "meta":
            variants = item.get("variants", [])
            if not isinstance(variants, list) or not all(
                isinstance(v, str) and v for v in variants
            ):
                raise r.fail(f"{path}.variants", variants, "must be a list of strings")
            plugin = r.text(item, "plugin", f"{path}.plugin", None)
            meta[model_id] = MetaModel(model_id, plugin, tuple(variants))
        elif kind == "named":
            named.add(model_id)
        else:
            raise r.fail(f"{path}.kind", kind, "must be 'meta' or 'named'")
    return meta, named


def _parse_tier(
    r: _Reader, name: str, raw: object, known: set[str], default_timeout: float
) -> TierSpec:
    path = f"tiers.{name}"
    item = r.mapping(raw, path)
    r.unknown_keys(
        item,
        {"min_coding_score", "pareto_seat", "pool", "timeout_s", "expected_cost_usd"},
        path,
    )
    score = (
        r.number(item, "min_coding_score", f"{path}.min_coding_score", 0.0, 1.0)
        if item.get("min_coding_score") is not None
        else None
    )
    pool = item.get("pool", [])
    if not isinstance(pool, list):
        raise r.fail(f"{path}.pool", pool, "must be a list of model ids")
    for index, model in enumerate(pool):
        if not isinstance(model, str) or model not in known:
            raise r.fail(f"{path}.pool[{index}]", model, "must be a named model in registry.yaml")
    timeout = (
        r.number(item, "timeout_s", f"{path}.timeout_s", 0.1, 3600.0)
        if "timeout_s" in item
        else default_timeout
    )
    cost = (
        r.number(item, "expected_cost_usd", f"{path}.expected_cost_usd", 0.0, 1000.0)
        if item.get("expected_cost_usd") is not None
        else None
    )
    return TierSpec(
        name=name,
        number=TIER_NUMBERS[name],
        min_coding_score=score,
        pool_models=tuple(pool),
        includes_pareto_seat=r.boolean(item, "pareto_seat", f"{path}.pareto_seat", False),
        timeout_s=timeout,
        expected_cost_usd=cost,
    )


def parse_tiers(
    data: object,
    meta: Mapping[str, MetaModel],
    named: set[str],
    file_name: str = TIERS_FILE,
) -> TierTable:
    r = _Reader(file_name)
    top = r.mapping(data, "(top level)")
    r.unknown_keys(top, {"pareto", "default_timeout_s", "tiers"}, "")
    pareto = r.mapping(top.get("pareto", {}), "pareto")
    r.unknown_keys(pareto, {"model", "wildcard", "wildcard_seat_id"}, "pareto")
    pareto_model = r.text(pareto, "model", "pareto.model", "openrouter/pareto-code")
    if pareto_model not in meta:
        raise r.fail("pareto.model", pareto_model, "must be a meta model in registry.yaml")
    wildcard = r.boolean(pareto, "wildcard", "pareto.wildcard", False)
    wildcard_seat = r.text(pareto, "wildcard_seat_id", "pareto.wildcard_seat_id", "wildcard")
    default_timeout = (
        r.number(top, "default_timeout_s", "default_timeout_s", 0.1, 3600.0)
        if "default_timeout_s" in top
        else 60.0
    )
    tiers_raw = r.mapping(top.get("tiers"), "tiers")
    specs: dict[int, TierSpec] = {}
    for name, raw in tiers_raw.items():
        if name not in TIER_NUMBERS:
            raise r.fail(
                f"tiers.{name}", name, f"unknown tier; expected one of {list(TIER_NUMBERS)}"
            )
        spec = _parse_tier(r, name, raw, named, default_timeout)
        if wildcard and not spec.includes_pareto_seat:
            # The wildcard seat sits in every council.
            spec = TierSpec(**{**spec.__dict__, "includes_pareto_seat": True})
        specs[spec.number] = spec
    missing = [name for name in TIER_NUMBERS if TIER_NUMBERS[name] not in specs]
    if missing:
        raise r.fail("tiers", sorted(tiers_raw), f"missing tiers {missing}")
    ordered = {number: specs[number] for number in sorted(specs)}
    return TierTable(
        tiers=ordered,
        pareto_model=pareto_model,
        meta_models=dict(meta),
        named_models=frozenset(named),
        default_timeout_s=default_timeout,
        wildcard_seat=wildcard_seat if wildcard else None,
    )


def _load_yaml(file_name: str, config_dir: Path | None) -> tuple[object, str]:
    """Parse `file_name` from config_dir when it is there, else the shipped copy."""
    if config_dir is not None and (config_dir / file_name).is_file():
        path = config_dir / file_name
        text = path.read_text(encoding="utf-8")
        label = str(path)
    else:
        text = resources.files("router_service").joinpath("data", file_name).read_text("utf-8")
        label = file_name
    try:
        return yaml.safe_load(text), label
    except yaml.YAMLError as exc:
        raise ConfigError(label, f"invalid YAML: {exc}") from None


def load_tier_table(config_dir: Path | None = None) -> TierTable:
    """Load and validate registry.yaml and tiers.yaml."""
    registry_data, registry_label = _load_yaml(REGISTRY_FILE, config_dir)
    meta, named = parse_registry(registry_data, registry_label)
    tiers_data, tiers_label = _load_yaml(TIERS_FILE, config_dir)
    return parse_tiers(tiers_data, meta, named, tiers_label)
