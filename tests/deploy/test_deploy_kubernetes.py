"""deploy/k8s: every manifest matches the Kubernetes schema bundled in kubernetes-validate
(no network), and the pieces fit together: probes, secrets, services, autoscaler, collector."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from router_service.tiers import load_tier_table
from tests.deploy.deploy_manifests import (
    DEPLOY,
    DOCKERFILES,
    K8S,
    K8S_VERSION,
    container_env,
    containers,
    k8s_documents,
    k8s_files,
    k8s_object,
    parse_dockerfile,
)

OUR_DEPLOYMENTS = ["router", "telemetry"]
LISTEN_VARS = {"router": "ROUTER_LISTEN_ADDR", "telemetry": "TELEMETRY_LISTEN_ADDR"}


def only_container(name: str) -> dict[str, Any]:
    (container,) = containers(k8s_object("Deployment", name))
    return container


def _doc_id(path: Path, doc: dict[str, Any]) -> str:
    return f"{path.name}:{doc['kind']}/{doc['metadata']['name']}"


@pytest.mark.parametrize(
    ("path", "doc"), [pytest.param(p, d, id=_doc_id(p, d)) for p, d in k8s_documents()]
)
def test_manifest_matches_the_kubernetes_schema(path: Path, doc: dict[str, Any]) -> None:
    kubernetes_validate.validate(doc, K8S_VERSION, strict=True)


def test_schema_validation_rejects_a_misspelled_field() -> None:
    broken = copy.deepcopy(k8s_object("Deployment", "router"))
    broken["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {"grpc": {"port": 1}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, K8S_VERSION, strict=True)


def test_kustomization_lists_every_manifest_except_example_secrets_and_the_job() -> None:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text(encoding="utf-8"))
    listed = set(kustomization["resources"])
    files = {p.name for p in k8s_files()}
    apart = {name for name in files if name.endswith((".example.yaml", ".job.yaml"))}
    # Applying the kustomization must never overwrite a real key with the placeholder, and the
    # migration Job runs on its own before a rollout.
    assert apart == {
        "openrouter-api-key.secret.example.yaml",
        "telemetry-clickhouse.secret.example.yaml",
        "router-config.configmap.example.yaml",
        "telemetry-migrate.job.yaml",
    }
    assert listed == files - apart
    assert all(
        doc["metadata"].get("namespace") == kustomization["namespace"]
        for _p, doc in k8s_documents()
        if doc["kind"] != "Namespace"
    )


@pytest.mark.parametrize("name", OUR_DEPLOYMENTS)
def test_probes_use_the_grpc_health_service_on_the_listen_port(name: str) -> None:
    container = only_container(name)
    listen_port = int(container_env(container)[LISTEN_VARS[name]].rpartition(":")[2])
    assert [p["containerPort"] for p in container["ports"]] == [listen_port]
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[probe]["grpc"] == {"port": listen_port}, probe


@pytest.mark.parametrize("name", [*OUR_DEPLOYMENTS, "otel-collector"])
def test_every_container_has_requests_and_limits(name: str) -> None:
    for container in containers(k8s_object("Deployment", name)):
        resources = container["resources"]
        assert set(resources["requests"]) == {"cpu", "memory"}
        assert set(resources["limits"]) == {"cpu", "memory"}


@pytest.mark.parametrize("name", OUR_DEPLOYMENTS)
def test_pods_run_as_the_images_non_root_uid_on_a_read_only_root(name: str) -> None:
    pod = k8s_object("Deployment", name)["spec"]["template"]["spec"]
    users = [
        i.args
        for i in parse_dockerfile(DOCKERFILES[name].read_text(encoding="utf-8"))
        if i.keyword == "USER"
    ]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert str(pod["securityContext"]["runAsUser"]) == users[-1].split(":")[0]
    container = only_container(name)
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["capabilities"]["drop"] == ["ALL"]
    # Python, matplotlib and the ClickHouse client still need a writable /tmp.
    assert {"name": "tmp", "mountPath": "/tmp"} in container["volumeMounts"]


def test_api_key_reaches_the_router_as_a_mounted_secret_file() -> None:
    container = only_container("router")
    env = container_env(container)
    assert "OPENROUTER_API_KEY" not in env
    key_path = Path(env["OPENROUTER_API_KEY_FILE"])
    (mount,) = [m for m in container["volumeMounts"] if Path(m["mountPath"]) == key_path.parent]
    assert mount["readOnly"] is True
    volumes = k8s_object("Deployment", "router")["spec"]["template"]["spec"]["volumes"]
    (volume,) = [v for v in volumes if v["name"] == mount["name"]]
    secret = k8s_object("Secret", volume["secret"]["secretName"])
    (item,) = volume["secret"]["items"]
    assert item["path"] == key_path.name
    assert item["key"] in secret["stringData"]


def test_router_workers_match_the_cpu_limit() -> None:
    container = only_container("router")
    # os.cpu_count() sees the node; one worker process per CPU the pod may use.
    assert container_env(container)["ROUTER_WORKERS"] == container["resources"]["limits"]["cpu"]


def test_autoscaler_scales_the_router_deployment_on_cpu() -> None:
    hpa = k8s_object("HorizontalPodAutoscaler", "router")
    target = hpa["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", "router")
    assert 2 <= hpa["spec"]["minReplicas"] < hpa["spec"]["maxReplicas"]
    (metric,) = hpa["spec"]["metrics"]
    assert metric["resource"]["name"] == "cpu"
    # Utilization is relative to the request, so the request must exist.
    assert "cpu" in only_container("router")["resources"]["requests"]
    # A replica count in the Deployment would undo the autoscaler on every apply.
    assert "replicas" not in k8s_object("Deployment", "router")["spec"]


def _services() -> list[dict[str, Any]]:
    return [d for _p, d in k8s_documents() if d["kind"] == "Service"]


@pytest.mark.parametrize("service", _services(), ids=lambda s: s["metadata"]["name"])
def test_service_selects_pods_and_targets_a_named_container_port(service: dict[str, Any]) -> None:
    selector = service["spec"]["selector"]
    matches = [
        d
        for _p, d in k8s_documents()
        if d["kind"] == "Deployment"
        and selector.items() <= d["spec"]["template"]["metadata"]["labels"].items()
    ]
    assert len(matches) == 1
    port_names = {p["name"] for c in containers(matches[0]) for p in c["ports"]}
    assert {p["targetPort"] for p in service["spec"]["ports"]} <= port_names


def test_router_has_a_headless_service_for_client_side_round_robin() -> None:
    headless = k8s_object("Service", "router-headless")
    assert headless["spec"]["clusterIP"] == "None"
    assert headless["spec"]["selector"] == k8s_object("Service", "router")["spec"]["selector"]


def test_collector_config_map_is_the_loadbalancing_config_file() -> None:
    config_map = k8s_object("ConfigMap", "otel-collector-config")
    in_cluster = yaml.safe_load(config_map["data"]["config.yaml"])
    on_disk = yaml.safe_load(
        (DEPLOY / "otel-collector" / "collector-loadbalancing.yaml").read_text(encoding="utf-8")
    )
    assert in_cluster == on_disk


def test_collector_resolves_a_headless_telemetry_service_on_its_port() -> None:
    config = yaml.safe_load(k8s_object("ConfigMap", "otel-collector-config")["data"]["config.yaml"])
    dns = config["exporters"]["loadbalancing"]["resolver"]["dns"]
    service = k8s_object("Service", dns["hostname"])
    # A ClusterIP would resolve to one virtual IP and defeat the per-trace routing.
    assert service["spec"]["clusterIP"] == "None"
    assert dns["port"] in [p["port"] for p in service["spec"]["ports"]]
    assert service["spec"]["selector"]["app.kubernetes.io/name"] == "telemetry"


def test_router_exports_spans_to_the_collector_service() -> None:
    endpoint = container_env(only_container("router"))["OTEL_EXPORTER_OTLP_ENDPOINT"]
    host, _, port = endpoint.removeprefix("http://").partition(":")
    service = k8s_object("Service", host)
    assert int(port) in [p["port"] for p in service["spec"]["ports"]]
    assert service["spec"]["selector"]["app.kubernetes.io/name"] == "otel-collector"


def test_telemetry_reads_the_clickhouse_url_from_a_secret() -> None:
    env = container_env(only_container("telemetry"))
    # The URL carries the ClickHouse password.
    assert env["CLICKHOUSE_URL"] == {"secretKeyRef": {"name": "telemetry-clickhouse", "key": "url"}}


def test_router_config_dir_is_the_optional_config_map_mount() -> None:
    container = only_container("router")
    config_dir = container_env(container)["ROUTER_CONFIG_DIR"]
    (mount,) = [m for m in container["volumeMounts"] if m["mountPath"] == config_dir]
    volumes = k8s_object("Deployment", "router")["spec"]["template"]["spec"]["volumes"]
    (volume,) = [v for v in volumes if v["name"] == mount["name"]]
    # Optional: without the ConfigMap the directory is empty and the shipped files apply.
    assert volume["configMap"] == {"name": "router-config", "optional": True}


def test_example_tier_override_passes_the_routers_validation(tmp_path: Path) -> None:
    config_map = k8s_object("ConfigMap", "router-config")
    for name, text in config_map["data"].items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    table = load_tier_table(tmp_path)
    assert set(config_map["data"]) <= {"tiers.yaml", "registry.yaml"}
    assert len(table.tiers) == 5


def test_kustomization_image_overrides_name_images_the_workloads_use() -> None:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text(encoding="utf-8"))
    used = {
        c["image"].rpartition(":")[0]
        for _p, d in k8s_documents()
        if "template" in d.get("spec", {})
        for c in containers(d)
    }
    assert {i["name"] for i in kustomization["images"]} <= used
