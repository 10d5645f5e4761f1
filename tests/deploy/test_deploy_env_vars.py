"""Every variable the compose file, the Kubernetes manifests and the Dockerfiles set is one the
service in that container actually reads, and the services' own settings parsers accept them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from router_service.config import load_settings as load_router_settings
from telemetry_service.config import load_settings as load_telemetry_settings
from tests.deploy.deploy_manifests import (
    DOCKERFILES,
    container_env,
    containers,
    dockerfile_env,
    env_vars_read,
    is_read,
    k8s_documents,
    k8s_object,
    load_compose,
    mentions,
    package_dir,
    parse_dockerfile,
)

# Read by the Python interpreter or the shell, not by our code.
INTERPRETER_VARS = frozenset({"PATH", "PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED"})

# Where each service's variables may be read: its own package, and the libraries it runs with
# that read documented variables of their own (OTEL_* by the OTel SDK and OTLP exporter,
# MPLCONFIGDIR by matplotlib for the drift charts).
READERS: dict[str, tuple[str, ...]] = {
    "router": (
        "router_service",
        "opentelemetry.sdk",
        "opentelemetry.exporter.otlp.proto.grpc",
    ),
    "telemetry": ("telemetry_service", "matplotlib"),
}


def unread(service: str, names: set[str]) -> list[str]:
    """Names neither our package looks up in an environ mapping nor its libraries mention."""
    own, *libraries = READERS[service]
    read = env_vars_read(package_dir(own))
    return sorted(
        name
        for name in names - INTERPRETER_VARS
        if not is_read(name, read) and not any(mentions(package_dir(m), name) for m in libraries)
    )


def compose_env(service: str) -> dict[str, str]:
    env = load_compose()["services"][service]["environment"]
    assert isinstance(env, dict)
    return {k: str(v) for k, v in env.items()}


def k8s_env(name: str) -> dict[str, Any]:
    (container,) = containers(k8s_object("Deployment", name))
    return container_env(container)


@pytest.mark.parametrize("service", ["router", "telemetry"])
def test_compose_sets_only_variables_the_service_reads(service: str) -> None:
    assert unread(service, set(compose_env(service))) == []


def _our_k8s_containers() -> list[tuple[str, str, dict[str, Any]]]:
    """(workload name, service, container) for every container running one of our images."""
    found = []
    for _path, doc in k8s_documents():
        if "template" not in doc.get("spec", {}):
            continue
        for container in containers(doc):
            image = container["image"].rpartition("/")[2].partition(":")[0]
            if image in ("router-service", "telemetry-service"):
                found.append((doc["metadata"]["name"], image.removesuffix("-service"), container))
    return found


@pytest.mark.parametrize(
    ("service", "container"),
    [pytest.param(s, c, id=f"{w}/{c['name']}") for w, s, c in _our_k8s_containers()],
)
def test_kubernetes_sets_only_variables_the_service_reads(
    service: str, container: dict[str, Any]
) -> None:
    assert unread(service, set(container_env(container))) == []


def test_every_workload_of_ours_is_checked() -> None:
    names = {w for w, _s, _c in _our_k8s_containers()}
    assert names == {"router", "telemetry", "telemetry-migrate"}


@pytest.mark.parametrize("service", ["router", "telemetry"])
def test_dockerfile_sets_only_variables_the_service_reads(service: str) -> None:
    instructions = parse_dockerfile(DOCKERFILES[service].read_text(encoding="utf-8"))
    final_stage = max(i.stage for i in instructions)
    assert unread(service, set(dockerfile_env(instructions, final_stage))) == []


def test_a_variable_no_code_reads_is_reported() -> None:
    assert unread("router", {"ROUTER_WORKERS", "ROUTER_NO_SUCH_SETTING"}) == [
        "ROUTER_NO_SUCH_SETTING"
    ]
    # The telemetry service does not read the router's variables.
    assert unread("telemetry", {"ROUTER_WORKERS"}) == ["ROUTER_WORKERS"]


def _with_key_file(env: dict[str, Any], tmp_path: Path) -> dict[str, str]:
    key_file = tmp_path / "api-key"
    key_file.write_text("sk-or-v1-test\n", encoding="utf-8")
    out = {k: v for k, v in env.items() if isinstance(v, str)}
    assert "OPENROUTER_API_KEY" not in out, "the key must come from a file, not the environment"
    out["OPENROUTER_API_KEY_FILE"] = str(key_file)
    if "ROUTER_CONFIG_DIR" in out:
        # The container path holds a mounted ConfigMap; an empty directory stands in here.
        config_dir = tmp_path / "router-config"
        config_dir.mkdir()
        out["ROUTER_CONFIG_DIR"] = str(config_dir)
    return out


def test_router_accepts_the_compose_settings(tmp_path: Path) -> None:
    settings = load_router_settings(_with_key_file(compose_env("router"), tmp_path), cpu_count=64)
    assert settings.listen_addr == "0.0.0.0:50051"
    assert settings.workers == 2
    assert settings.api_key.reveal() == "sk-or-v1-test"


def test_router_accepts_the_kubernetes_settings(tmp_path: Path) -> None:
    settings = load_router_settings(_with_key_file(k8s_env("router"), tmp_path), cpu_count=64)
    assert settings.listen_addr == "0.0.0.0:50051"
    assert settings.log_format == "json"


def test_telemetry_accepts_the_compose_settings(tmp_path: Path) -> None:
    settings = load_telemetry_settings(compose_env("telemetry"), cwd=str(tmp_path))
    assert settings.listen_addr == "0.0.0.0:4317"
    assert not settings.is_embedded
    assert settings.redacted_clickhouse_url() == "http://council:***@clickhouse:8123/llmcouncil"


def test_telemetry_accepts_the_kubernetes_settings(tmp_path: Path) -> None:
    env = k8s_env("telemetry")
    secret = k8s_object("Secret", "telemetry-clickhouse")
    ref = env["CLICKHOUSE_URL"]["secretKeyRef"]
    assert ref["name"] == "telemetry-clickhouse"
    env["CLICKHOUSE_URL"] = secret["stringData"][ref["key"]]
    settings = load_telemetry_settings(env, cwd=str(tmp_path))
    assert settings.listen_addr == "0.0.0.0:4317"
    assert not settings.is_embedded


def test_telemetry_image_defaults_put_the_embedded_engine_in_the_volume(tmp_path: Path) -> None:
    instructions = parse_dockerfile(DOCKERFILES["telemetry"].read_text(encoding="utf-8"))
    env = dockerfile_env(instructions, max(i.stage for i in instructions))
    settings = load_telemetry_settings(env, cwd=str(tmp_path))
    volumes = [i.args for i in instructions if i.keyword == "VOLUME"]
    assert settings.clickhouse_url == "chdb://" + env["TELEMETRY_DATA_DIR"] + "/clickhouse"
    assert any(env["TELEMETRY_DATA_DIR"] in v for v in volumes)
