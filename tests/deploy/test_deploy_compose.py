"""deploy/docker-compose.yaml matches the Compose Specification schema (vendored in the
check-jsonschema package, no network) and wires the services together as documented."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import pytest
import yaml

from tests.deploy.deploy_manifests import (
    COMPOSE_FILE,
    DEPLOY,
    compose_schema,
    interpolate,
    load_compose,
)

SCALED = {
    "ROUTER_OTLP_ENDPOINT": "http://otel-collector:4317",
    "OTELCOL_CONFIG": "collector-loadbalancing.yaml",
    "TELEMETRY_HOST_PORTS": "127.0.0.1:4317-4319",
}


def errors(doc: dict[str, Any]) -> list[str]:
    validator = jsonschema.Draft202012Validator(
        compose_schema(), format_checker=jsonschema.FormatChecker()
    )
    return [f"{e.json_path}: {e.message}" for e in validator.iter_errors(doc)]


@pytest.mark.parametrize(
    "environ",
    [pytest.param({}, id="defaults"), pytest.param(SCALED, id="collector-loadbalancing")],
)
def test_compose_file_matches_the_compose_schema(environ: dict[str, str]) -> None:
    assert errors(load_compose(environ)) == []


def test_schema_validation_rejects_an_unknown_service_key() -> None:
    doc = load_compose()
    doc["services"]["router"]["enviroment"] = {"ROUTER_WORKERS": "2"}
    assert errors(doc) != []


def test_interpolation_uses_defaults_and_overrides() -> None:
    text = "a: ${X:-1}\nb: ${Y}\nc: ${Z:-127.0.0.1:4317}:4317\n"
    expected = {"a": 1, "b": 2, "c": "127.0.0.1:4317:4317"}
    assert yaml.safe_load(interpolate(text, {"Y": "2"})) == expected


def test_default_stack_runs_router_telemetry_clickhouse_and_grafana() -> None:
    services = load_compose()["services"]
    default = {name for name, svc in services.items() if not svc.get("profiles")}
    assert default == {"router", "telemetry", "clickhouse", "grafana"}
    assert services["otel-collector"]["profiles"] == ["collector"]
    assert services["openrouter-sim"]["profiles"] == ["sim"]
    assert services["clickhouse"]["image"].startswith("clickhouse/clickhouse-server:")


@pytest.mark.parametrize("service", ["router", "telemetry"])
def test_services_build_from_the_repository_with_their_dockerfile(service: str) -> None:
    build = load_compose()["services"][service]["build"]
    context = (COMPOSE_FILE.parent / build["context"]).resolve()
    assert (context / "pyproject.toml").is_file()
    assert (context / build["dockerfile"]) == DEPLOY / "docker" / f"{service}.Dockerfile"


def test_api_key_is_a_secret_file_not_an_environment_variable() -> None:
    doc = load_compose()
    router = doc["services"]["router"]
    assert "OPENROUTER_API_KEY" not in router["environment"]
    (secret,) = router["secrets"]
    assert router["environment"]["OPENROUTER_API_KEY_FILE"] == f"/run/secrets/{secret}"
    assert doc["secrets"][secret] == {"environment": "OPENROUTER_API_KEY"}


def test_router_sends_spans_to_telemetry_by_default_and_to_the_collector_on_request() -> None:
    name = "OTEL_EXPORTER_OTLP_ENDPOINT"
    default = load_compose()["services"]["router"]["environment"][name]
    scaled = load_compose(SCALED)["services"]["router"]["environment"][name]
    telemetry_port = load_compose()["services"]["telemetry"]["environment"]["TELEMETRY_LISTEN_ADDR"]
    assert default == "http://telemetry:" + telemetry_port.rpartition(":")[2]
    assert scaled == "http://otel-collector:4317"


def test_telemetry_writes_to_the_database_clickhouse_creates() -> None:
    services = load_compose({"CLICKHOUSE_PASSWORD": "s3cret"})["services"]
    url = urlsplit(services["telemetry"]["environment"]["CLICKHOUSE_URL"])
    ch = services["clickhouse"]["environment"]
    assert (url.hostname, url.port) == ("clickhouse", 8123)
    assert (url.username, url.password) == (ch["CLICKHOUSE_USER"], "s3cret")
    assert url.path == "/" + ch["CLICKHOUSE_DB"]
    assert services["telemetry"]["depends_on"]["clickhouse"]["condition"] == "service_healthy"


def test_simulator_profile_serves_where_the_documented_base_url_points() -> None:
    sim = load_compose()["services"]["openrouter-sim"]
    assert sim["entrypoint"] == ["openrouter-sim"]
    assert sim["image"] == load_compose()["services"]["router"]["image"]
    port = sim["command"][sim["command"].index("--port") + 1]
    header = COMPOSE_FILE.read_text(encoding="utf-8")
    assert f"OPENROUTER_BASE_URL=http://openrouter-sim:{port}/api/v1" in header
    environ = {"OPENROUTER_BASE_URL": f"http://openrouter-sim:{port}/api/v1"}
    for service in ("router", "telemetry"):
        env = load_compose(environ)["services"][service]["environment"]
        assert env["OPENROUTER_BASE_URL"] == environ["OPENROUTER_BASE_URL"]


def test_router_does_not_wait_for_telemetry_health() -> None:
    depends = load_compose()["services"]["router"]["depends_on"]
    # Spans are batched and dropped (counted) when telemetry is down; the router must start.
    assert depends["telemetry"]["condition"] == "service_started"


@pytest.mark.parametrize("config", ["collector.yaml", "collector-loadbalancing.yaml"])
def test_collector_config_chosen_by_otelcol_config_exists(config: str) -> None:
    collector = load_compose({"OTELCOL_CONFIG": config})["services"]["otel-collector"]
    source = collector["volumes"][0].split(":")[0]
    assert (COMPOSE_FILE.parent / source).resolve() == DEPLOY / "otel-collector" / config


def _mounts(service: str) -> dict[Path, str]:
    out: dict[Path, str] = {}
    for volume in load_compose()["services"][service]["volumes"]:
        source, target = volume.split(":")[:2]
        if source.startswith("."):
            out[(COMPOSE_FILE.parent / source).resolve()] = target
    return out


def test_every_bind_mounted_file_exists() -> None:
    for service in ("clickhouse", "grafana"):
        for source in _mounts(service):
            assert source.exists(), source


def test_grafana_gets_the_dashboards_folder_where_the_provider_reads_it() -> None:
    mounts = _mounts("grafana")
    provider_file = DEPLOY / "grafana" / "provisioning" / "dashboards" / "llmcouncil.yaml"
    (provider,) = yaml.safe_load(provider_file.read_text(encoding="utf-8"))["providers"]
    assert mounts[DEPLOY / "grafana" / "dashboards"] == provider["options"]["path"]
    assert mounts[DEPLOY / "grafana" / "provisioning"] == "/etc/grafana/provisioning"


def test_only_loopback_ports_are_published() -> None:
    for name, service in load_compose()["services"].items():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), (name, port)
