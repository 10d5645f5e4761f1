"""OTel Collector configs and Grafana provisioning: internally consistent and consistent with
the compose file, the ClickHouse user they read as, and the dashboards in the folder."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.deploy_manifests import DEPLOY, load_compose

# Collector configs (the Collector Builder recipe beside them is not one).
COLLECTOR_CONFIGS = sorted(
    p for p in (DEPLOY / "otel-collector").glob("*.yaml") if p.name != "builder-config.yaml"
)
GRAFANA = DEPLOY / "grafana"


def load(path: Path) -> dict[str, Any]:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(doc, dict)
    return doc


@pytest.mark.parametrize("path", COLLECTOR_CONFIGS, ids=lambda p: p.name)
def test_collector_pipelines_use_only_defined_components(path: Path) -> None:
    config = load(path)
    for name, pipeline in config["service"]["pipelines"].items():
        for kind in ("receivers", "processors", "exporters"):
            assert set(pipeline.get(kind, [])) <= set(config.get(kind) or {}), (name, kind)
    assert set(config["service"]["extensions"]) <= set(config["extensions"])


@pytest.mark.parametrize("path", COLLECTOR_CONFIGS, ids=lambda p: p.name)
def test_collector_takes_otlp_grpc_and_retries_what_telemetry_refuses(path: Path) -> None:
    config = load(path)
    assert config["receivers"]["otlp"]["protocols"]["grpc"]["endpoint"] == "0.0.0.0:4317"
    pipelines = config["service"]["pipelines"]
    # The router sends spans and metrics; the telemetry service also takes logs.
    assert set(pipelines) == {"traces", "metrics", "logs"}
    for pipeline in pipelines.values():
        # memory_limiter must come first so it can refuse data before anything buffers it.
        assert pipeline["processors"][0] == "memory_limiter"
        for exporter in pipeline["exporters"]:
            options = config["exporters"][exporter]
            otlp = options["protocol"]["otlp"] if exporter == "loadbalancing" else options
            # Telemetry answers UNAVAILABLE + RetryInfo when ClickHouse is down or full.
            assert otlp["retry_on_failure"]["enabled"] is True
            assert otlp["sending_queue"]["enabled"] is True
            assert otlp["tls"]["insecure"] is True


def test_plain_collector_forwards_to_the_compose_telemetry_service() -> None:
    config = load(DEPLOY / "otel-collector" / "collector.yaml")
    host, _, port = config["exporters"]["otlp"]["endpoint"].partition(":")
    telemetry = load_compose()["services"][host]
    assert telemetry["environment"]["TELEMETRY_LISTEN_ADDR"].endswith(":" + port)


def test_loadbalancing_collector_keys_by_trace_id_over_every_telemetry_replica() -> None:
    exporter = load(DEPLOY / "otel-collector" / "collector-loadbalancing.yaml")["exporters"][
        "loadbalancing"
    ]
    assert exporter["routing_key"] == "traceID"
    assert "endpoint" not in exporter["protocol"]["otlp"]
    dns = exporter["resolver"]["dns"]
    # In compose the scaled service name resolves to every replica.
    assert dns["hostname"] in load_compose()["services"]
    assert dns["port"] == 4317
    config = load(DEPLOY / "otel-collector" / "collector-loadbalancing.yaml")
    assert config["service"]["pipelines"]["traces"]["exporters"] == ["loadbalancing"]
    assert config["service"]["pipelines"]["logs"]["exporters"] == ["loadbalancing"]


def test_loadbalancing_collector_spreads_metrics_over_the_same_replicas() -> None:
    # Metrics have no trace id (the loadbalancing exporter must not route them by one).
    config = load(DEPLOY / "otel-collector" / "collector-loadbalancing.yaml")
    (exporter,) = config["service"]["pipelines"]["metrics"]["exporters"]
    assert exporter != "loadbalancing"
    options = config["exporters"][exporter]
    dns = config["exporters"]["loadbalancing"]["resolver"]["dns"]
    assert options["endpoint"] == f"dns:///{dns['hostname']}:{dns['port']}"
    assert options["balancer_name"] == "round_robin"


def datasources() -> list[dict[str, Any]]:
    doc = load(GRAFANA / "provisioning" / "datasources" / "clickhouse.yaml")
    sources = doc["datasources"]
    assert isinstance(sources, list)
    return sources


def test_clickhouse_data_source_uses_the_installed_plugin() -> None:
    (source,) = datasources()
    grafana_env = load_compose()["services"]["grafana"]["environment"]
    assert source["type"] == "grafana-clickhouse-datasource"
    assert source["type"] in grafana_env["GF_PLUGINS_PREINSTALL_SYNC"].split(",")
    # Grafana expands $NAME from its environment; the name must be set there.
    password_var = source["secureJsonData"]["password"].lstrip("$").strip("{}")
    assert password_var in grafana_env


def test_data_source_reads_as_the_read_only_clickhouse_user() -> None:
    (source,) = datasources()
    users = ET.parse(DEPLOY / "clickhouse" / "users.d" / "grafana.xml").getroot()
    user = users.find(f"users/{source['jsonData']['username']}")
    assert user is not None
    profile = users.find(f"profiles/{user.findtext('profile')}")
    assert profile is not None and profile.findtext("readonly") == "2"
    grants = [q.text for q in user.findall("grants/query")]
    database = source["jsonData"]["defaultDatabase"]
    assert grants == [f"GRANT SELECT ON {database}.*"]
    ch = load_compose()["services"]["clickhouse"]
    assert ch["environment"]["CLICKHOUSE_DB"] == database
    password = user.find("password")
    assert password is not None and password.get("from_env") in ch["environment"]
    assert source["jsonData"]["host"] == "clickhouse"


def dashboards() -> list[Path]:
    return sorted((GRAFANA / "dashboards").glob("*.json"))


def _datasource_uids(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        source = node.get("datasource")
        if isinstance(source, dict) and isinstance(source.get("uid"), str):
            found.add(source["uid"])
        for value in node.values():
            found |= _datasource_uids(value)
    elif isinstance(node, list):
        for value in node:
            found |= _datasource_uids(value)
    return found


def test_dashboards_folder_holds_the_drift_dashboard() -> None:
    assert GRAFANA / "dashboards" / "frontier-drift.json" in dashboards()


@pytest.mark.parametrize("path", dashboards(), ids=lambda p: p.name)
def test_dashboard_uses_only_provisioned_data_sources(path: Path) -> None:
    dashboard = json.loads(path.read_text(encoding="utf-8"))
    provisioned = {s["uid"] for s in datasources()}
    used = _datasource_uids(dashboard)
    # Grafana's built-in source is always there.
    fixed = {u for u in used if not u.startswith("$") and u != "grafana"}
    assert fixed <= provisioned
    # A `${name}` reference must be a datasource variable of a provisioned plugin type, so
    # Grafana can fill it from what provisioning created (the default source).
    variables = {
        v["name"]: v
        for v in dashboard.get("templating", {}).get("list", [])
        if v.get("type") == "datasource"
    }
    types = {s["type"] for s in datasources()}
    for ref in {u for u in used if u.startswith("$")}:
        variable = variables[ref.strip("${}")]
        assert variable["query"] in types
