"""The Dockerfiles install the project from pyproject.toml (no second dependency list), run as
a non-root user and check health through the gRPC health service. Docker is not needed."""

from __future__ import annotations

import re
import tomllib

import pytest

from tests.deploy.deploy_manifests import (
    DOCKERFILES,
    REPO,
    Instruction,
    dockerfile_env,
    exec_form,
    parse_dockerfile,
    pip_install_targets,
)

SERVICES = sorted(DOCKERFILES)
LISTEN_VARS = {"router": "ROUTER_LISTEN_ADDR", "telemetry": "TELEMETRY_LISTEN_ADDR"}


def instructions(service: str) -> list[Instruction]:
    return parse_dockerfile(DOCKERFILES[service].read_text(encoding="utf-8"))


def final_stage(ins: list[Instruction]) -> list[Instruction]:
    last = max(i.stage for i in ins)
    return [i for i in ins if i.stage == last]


def installs(ins: list[Instruction]) -> list[list[str]]:
    return [t for i in ins if i.keyword == "RUN" for t in pip_install_targets(i.args)]


@pytest.mark.parametrize("service", SERVICES)
def test_dockerfile_installs_only_the_project_itself(service: str) -> None:
    # `pip install .` reads dependencies from pyproject.toml; naming packages or a requirements
    # file here would be a second list that drifts from it.
    assert installs(instructions(service)) == [["."]]


@pytest.mark.parametrize(
    "run",
    [
        pytest.param("pip install grpcio httpx", id="named-packages"),
        pytest.param("python -m pip install --no-cache-dir . requests", id="project-plus-a-name"),
        pytest.param("/opt/venv/bin/pip install -r requirements.txt", id="requirements-file"),
    ],
)
def test_a_second_dependency_list_is_detected(run: str) -> None:
    assert installs(parse_dockerfile(f"FROM python\nRUN {run}\n")) != [["."]]


@pytest.mark.parametrize("service", SERVICES)
def test_project_is_built_from_the_copied_source_tree(service: str) -> None:
    ins = instructions(service)
    build = [i for i in ins if i.stage == 0]
    assert any(i.keyword == "COPY" and i.args.split()[0] == "." for i in build)
    # The runtime stage takes the installed virtualenv, not the source.
    runtime = final_stage(ins)
    copies = [i.args for i in runtime if i.keyword == "COPY"]
    assert any(c.startswith("--from=build /opt/venv") for c in copies)
    assert not any(c.split()[0] == "." for c in copies)


@pytest.mark.parametrize("service", SERVICES)
def test_image_runs_as_a_numeric_non_root_user(service: str) -> None:
    users = [i.args for i in final_stage(instructions(service)) if i.keyword == "USER"]
    assert users, "the runtime stage sets no USER"
    uid = users[-1].split(":")[0]
    # Numeric, so Kubernetes' runAsNonRoot can verify it without /etc/passwd.
    assert uid.isdigit() and int(uid) != 0


def healthcheck(service: str) -> tuple[str, list[str]]:
    """(options, argv) of the runtime stage's HEALTHCHECK."""
    (health,) = [i.args for i in final_stage(instructions(service)) if i.keyword == "HEALTHCHECK"]
    options, _, command = health.partition("CMD ")
    return options, exec_form(command)


def _seconds(options: str, name: str) -> float:
    match = re.search(rf"--{name}=(\d+)s", options)
    assert match is not None, name
    return float(match[1])


def test_router_healthcheck_is_the_routers_own_health_command() -> None:
    options, argv = healthcheck("router")
    # `router-service health` reads the port from ROUTER_LISTEN_ADDR (the image sets it).
    assert argv[:2] == ["router-service", "health"]
    own_timeout = float(argv[argv.index("--timeout") + 1])
    assert own_timeout < _seconds(options, "timeout")


def test_telemetry_healthcheck_runs_the_copied_script_on_the_listen_variable() -> None:
    options, argv = healthcheck("telemetry")
    assert argv[1] == "/usr/local/bin/grpc-health-check"
    assert argv[argv.index("--listen-env") + 1] == LISTEN_VARS["telemetry"]
    runtime = final_stage(instructions("telemetry"))
    copied = [i.args.split() for i in runtime if i.keyword == "COPY"]
    assert ["deploy/docker/grpc_health_check.py", "/usr/local/bin/grpc-health-check"] in copied
    assert (REPO / "deploy/docker/grpc_health_check.py").is_file()
    assert _seconds(options, "timeout") > 3  # the script's own deadline is 3 s


@pytest.mark.parametrize("service", SERVICES)
def test_exposed_port_is_the_listen_port(service: str) -> None:
    runtime = final_stage(instructions(service))
    env = dockerfile_env(runtime, runtime[0].stage)
    port = env[LISTEN_VARS[service]].rpartition(":")[2]
    assert [i.args for i in runtime if i.keyword == "EXPOSE"] == [port]
    assert env[LISTEN_VARS[service]].startswith("0.0.0.0:")


@pytest.mark.parametrize("service", SERVICES)
def test_entrypoint_is_the_projects_console_script(service: str) -> None:
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "scripts"
    ]
    runtime = final_stage(instructions(service))
    (entry,) = [exec_form(i.args) for i in runtime if i.keyword == "ENTRYPOINT"]
    (cmd,) = [exec_form(i.args) for i in runtime if i.keyword == "CMD"]
    assert entry == [f"{service}-service"]
    assert entry[0] in scripts
    assert cmd == ["serve"]


@pytest.mark.parametrize("service", SERVICES)
def test_build_context_ignores_local_state(service: str) -> None:
    ignore = DOCKERFILES[service].with_name(DOCKERFILES[service].name + ".dockerignore")
    patterns = set(ignore.read_text(encoding="utf-8").split())
    assert {".venv", ".git", ".council-data"} <= patterns


@pytest.mark.parametrize("service", SERVICES)
def test_base_image_is_a_python_the_project_supports(service: str) -> None:
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    minimum = re.fullmatch(r">=(\d+)\.(\d+)", pyproject["project"]["requires-python"])
    assert minimum is not None
    args = [i.args for i in instructions(service) if i.keyword == "ARG"]
    image = next(a.partition("=")[2] for a in args if a.startswith("PYTHON_IMAGE="))
    found = re.match(r"python:(\d+)\.(\d+)-slim", image)
    assert found is not None, image
    assert (int(found[1]), int(found[2])) >= (int(minimum[1]), int(minimum[2]))
