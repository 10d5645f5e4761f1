"""The shipped tier table, OpenRouter's banding, and config-file errors that say where."""

from __future__ import annotations

from pathlib import Path

import pytest
from llmcouncil.router.v1 import router_service_pb2 as pb

from router_service.config import ConfigError
from router_service.tiers import band_for, load_tier_table

SHIPPED = load_tier_table()
DATA = Path(__file__).resolve().parents[2] / "router_service" / "data"


@pytest.mark.parametrize(
    ("score", "band"),
    [
        pytest.param(None, "high", id="omitted-high"),
        pytest.param(0.0, "low", id="zero"),
        pytest.param(0.3299, "low", id="below-medium"),
        pytest.param(0.33, "medium", id="medium-floor"),
        pytest.param(0.6599, "medium", id="below-high"),
        pytest.param(0.66, "high", id="high-floor"),
        pytest.param(1.0, "high", id="one"),
    ],
)
def test_band_follows_openrouter_thresholds(score: float | None, band: str) -> None:
    assert band_for(score) == band


@pytest.mark.parametrize(
    ("tier", "score"),
    [
        pytest.param(pb.TIER_QUICK, 0.2, id="quick"),
        pytest.param(pb.TIER_BALANCED, 0.5, id="balanced"),
        pytest.param(pb.TIER_HIGH, 0.8, id="high"),
        pytest.param(pb.TIER_REASONING, 0.9, id="reasoning"),
        pytest.param(pb.TIER_FRONTIER, None, id="frontier-omitted"),
    ],
)
def test_shipped_tier_scores(tier: int, score: float | None) -> None:
    assert SHIPPED.tiers[tier].min_coding_score == score


def test_pareto_seat_sits_in_balanced_and_high_by_default() -> None:
    with_pareto = {spec.name for spec in SHIPPED.tiers.values() if spec.includes_pareto_seat}
    assert with_pareto == {"balanced", "high"}
    assert SHIPPED.wildcard_seat is None
    assert SHIPPED.meta_model_for("openrouter/pareto-code:nitro") is not None


def write_config(
    tmp_path: Path, tiers_text: str | None = None, registry_text: str | None = None
) -> Path:
    if tiers_text is not None:
        (tmp_path / "tiers.yaml").write_text(tiers_text)
    if registry_text is not None:
        (tmp_path / "registry.yaml").write_text(registry_text)
    return tmp_path


def shipped_tiers_text() -> str:
    return (DATA / "tiers.yaml").read_text()


def test_config_dir_overrides_the_shipped_file(tmp_path: Path) -> None:
    text = shipped_tiers_text().replace("min_coding_score: 0.2", "min_coding_score: 0.25")
    table = load_tier_table(write_config(tmp_path, text))
    assert table.tiers[pb.TIER_QUICK].min_coding_score == 0.25


def test_wildcard_option_seats_the_pareto_router_in_every_tier(tmp_path: Path) -> None:
    text = shipped_tiers_text().replace("wildcard: false", "wildcard: true")
    table = load_tier_table(write_config(tmp_path, text))
    assert table.wildcard_seat == "wildcard"
    assert all(spec.includes_pareto_seat for spec in table.tiers.values())


@pytest.mark.parametrize(
    ("old", "new", "key", "value"),
    [
        pytest.param(
            "min_coding_score: 0.2",
            "min_coding_score: 1.5",
            "tiers.quick.min_coding_score",
            "1.5",
            id="score-out-of-range",
        ),
        pytest.param(
            "min_coding_score: 0.5",
            "min_coding_score: high",
            "tiers.balanced.min_coding_score",
            "'high'",
            id="score-not-number",
        ),
        pytest.param("timeout_s: 30", "timeout_s: -1", "tiers.quick.timeout_s", "-1", id="timeout"),
        pytest.param(
            "pool: [x-ai/grok-code-fast-1,",
            "pool: [nobody/unknown,",
            "tiers.quick.pool[0]",
            "nobody/unknown",
            id="pool-unknown-model",
        ),
        pytest.param(
            "pareto_seat: false", "pareto_seat: 3", "tiers.quick.pareto_seat", "3", id="bool"
        ),
        pytest.param("  quick:", "  speedy:", "tiers.speedy", "speedy", id="unknown-tier"),
        pytest.param(
            "model: openrouter/pareto-code",
            "model: qwen/qwen3-coder",
            "pareto.model",
            "qwen/qwen3-coder",
            id="pareto-model-not-meta",
        ),
        pytest.param(
            "expected_cost_usd: 0.004",
            "expected_cost_usd: -2",
            "tiers.balanced.expected_cost_usd",
            "-2",
            id="negative-cost",
        ),
        pytest.param(
            "    timeout_s: 30\n", "    timeout: 30\n", "tiers.quick.timeout", "30", id="typo-key"
        ),
    ],
)
def test_tier_errors_name_file_key_and_value(
    tmp_path: Path, old: str, new: str, key: str, value: str
) -> None:
    text = shipped_tiers_text()
    assert old in text
    with pytest.raises(ConfigError) as caught:
        load_tier_table(write_config(tmp_path, text.replace(old, new, 1)))
    message = str(caught.value)
    assert "tiers.yaml" in message and key in message and value in message


def test_missing_tier_is_an_error(tmp_path: Path) -> None:
    text = shipped_tiers_text()
    text = text[: text.index("  frontier:")]
    with pytest.raises(ConfigError, match="frontier"):
        load_tier_table(write_config(tmp_path, text))


def test_invalid_yaml_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"tiers\.yaml.*invalid YAML"):
        load_tier_table(write_config(tmp_path, "tiers: [unclosed"))


@pytest.mark.parametrize(
    ("registry", "key"),
    [
        pytest.param("models: []\n", "models", id="empty"),
        pytest.param("models:\n  - id: a/b\n    kind: robot\n", "models[0].kind", id="bad-kind"),
        pytest.param("models:\n  - id: a/b\n  - id: a/b\n", "models[1].id", id="duplicate"),
        pytest.param("models:\n  - id: a/b:nitro\n", "models[0].id", id="variant-in-id"),
        pytest.param(
            "models:\n  - id: o/p\n    kind: meta\n", "models[0].plugin", id="meta-without-plugin"
        ),
    ],
)
def test_registry_errors_name_file_and_key(tmp_path: Path, registry: str, key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_tier_table(write_config(tmp_path, registry_text=registry))
    assert "registry.yaml" in str(caught.value) and key in str(caught.value)
