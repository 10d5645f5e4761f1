"""Pure catalog parsing and the quality/cost Pareto frontier."""

from __future__ import annotations

import pytest

from telemetry_service.drift.catalog import snapshot_rows
from telemetry_service.drift.frontier import (
    CatalogModel,
    frontier_changes,
    pareto_frontier,
    parse_catalog,
)


def model(model_id: str, price: float, coding: float | None) -> CatalogModel:
    return CatalogModel(model_id, model_id, 128_000, price, price, coding)


def ids(models: list[CatalogModel]) -> list[str]:
    return [m.model_id for m in models]


def test_frontier_keeps_only_undominated_models_cheapest_first() -> None:
    catalog = [
        model("cheap/weak", 1e-7, 30),
        model("mid/good", 1e-6, 55),
        model("mid/worse", 2e-6, 50),  # dearer and weaker than mid/good
        model("dear/best", 1e-5, 70),
        model("dear/same", 2e-5, 70),  # same quality, dearer
    ]
    assert ids(pareto_frontier(catalog)) == ["cheap/weak", "mid/good", "dear/best"]


def test_frontier_skips_unscored_meta_and_free_models() -> None:
    catalog = [
        model("a/x", 1e-6, 40),
        model("a/unscored", 1e-9, None),
        model("openrouter/pareto-code", 0.0, 99),
        model("a/x:free", 0.0, 40),
    ]
    assert ids(pareto_frontier(catalog)) == ["a/x"]


def test_equal_points_both_stay_on_the_frontier() -> None:
    assert ids(pareto_frontier([model("a/1", 1e-6, 50), model("a/2", 1e-6, 50)])) == ["a/1", "a/2"]


def test_parse_catalog_reads_openrouter_shape() -> None:
    payload = {
        "data": [
            {
                "id": "x/coder",
                "name": "Coder",
                "context_length": 262144,
                "pricing": {"prompt": "0.000001", "completion": "0.000004"},
                "benchmarks": {"artificial_analysis": {"coding_index": 61.5}},
            },
            {"id": "y/plain", "pricing": {"prompt": "-1", "completion": "oops"}},
            {"name": "no id"},
            "junk",
        ]
    }
    parsed = parse_catalog(payload)
    assert ids(parsed) == ["x/coder", "y/plain"]
    coder = parsed[0]
    assert coder.coding_index == 61.5
    assert coder.blended_price_usd == pytest.approx((3 * 1e-6 + 4e-6) / 4)
    assert parsed[1].coding_index is None and parsed[1].completion_price_usd == 0.0


@pytest.mark.parametrize("payload", [None, [], {"data": "x"}, {"nodata": []}], ids=str)
def test_parse_catalog_of_malformed_body_is_empty(payload: object) -> None:
    assert parse_catalog(payload) == []


def test_frontier_changes_name_joined_and_left_models() -> None:
    changes = frontier_changes(
        [(100.0, ["a", "b"]), (200.0, ["a", "b"]), (300.0, ["a", "c"])], report_from=150.0
    )
    assert len(changes) == 1
    assert (changes[0].snapshot_time, changes[0].added, changes[0].removed) == (
        300.0,
        ("c",),
        ("b",),
    )
    assert changes[0].frontier == ("a", "c")


def test_snapshot_rows_mark_frontier_rank() -> None:
    rows = snapshot_rows([model("a/1", 1e-6, 40), model("a/2", 5e-6, 30)], 1_700_000_000.0, "sim")
    by_id = {row[2]: row for row in rows}
    assert by_id["a/1"][9:] == (True, 1)
    assert by_id["a/2"][9:] == (False, 0)
