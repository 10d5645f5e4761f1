"""The Grafana dashboard's queries run against the migrated schema and read its views."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest

from telemetry_service.drift.catalog import COLUMNS as CATALOG_COLUMNS
from telemetry_service.store import Store
from tests.drift.drift_rows import (
    PARETO,
    insert_reviews,
    insert_selections,
    review,
    selection,
    utc,
)

DASHBOARD = Path(__file__).parents[2] / "deploy" / "grafana" / "dashboards" / "frontier-drift.json"


def dashboard_queries() -> list[tuple[str, str]]:
    dashboard = json.loads(DASHBOARD.read_text())
    return [
        (panel["title"], target["rawSql"])
        for panel in dashboard["panels"]
        for target in panel["targets"]
    ]


def plain_sql(sql: str) -> str:
    """The plugin's macros replaced as Grafana would for the last 30 days."""
    sql = re.sub(r"\$__timeFilter\((\w+)\)", r"\1 >= now() - INTERVAL 30 DAY", sql)
    return sql.replace("${tier}", "balanced")


def test_dashboard_uses_the_clickhouse_plugin_everywhere() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            assert target["datasource"]["type"] == "grafana-clickhouse-datasource"


@pytest.mark.parametrize(
    ("title", "sql"), dashboard_queries(), ids=[t for t, _ in dashboard_queries()]
)
async def test_panel_query_returns_rows(store: Store, title: str, sql: str) -> None:
    now = time.time()
    named = "anthropic/claude-sonnet-4.5"
    await insert_selections(
        store,
        [
            selection(now - 7200, "balanced", "m/a", duplicate=True),
            selection(now - 3600, "balanced", "m/b"),
            selection(now - 3600, "balanced", named, requested=named),
        ],
    )
    await insert_reviews(store, [review(now - 3600, "balanced", PARETO, 7.0)])
    row: tuple[Any, ...] = (
        utc(now - 600),
        "sim",
        "m/a",
        "A",
        1000,
        1e-6,
        1e-6,
        1e-6,
        50.0,
        True,
        1,
    )
    await store.insert("model_catalog_snapshots", [row], CATALOG_COLUMNS)
    result = await store.query(plain_sql(sql))
    assert result.rows, title
