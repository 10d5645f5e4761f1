"""deploy/docker/grpc_health_check.py, run as the Docker HEALTHCHECK runs it, against a real
gRPC server with the standard health service on a loopback port."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent import futures
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from opentelemetry.sdk.trace import TracerProvider

from router_service.config import load_settings
from router_service.server import create_server
from tests.deploy.deploy_manifests import DEPLOY, DOCKERFILES, exec_form, parse_dockerfile

SCRIPT = DEPLOY / "docker" / "grpc_health_check.py"
SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


@pytest.fixture
def health_server() -> Iterator[tuple[health.HealthServicer, int]]:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        yield servicer, port
    finally:
        server.stop(grace=None).wait()


# Where the images keep what their HEALTHCHECK runs, and where it is here.
CONTAINER_PATHS = {
    "/opt/venv/bin/python": sys.executable,
    "/usr/local/bin/grpc-health-check": str(SCRIPT),
    "router-service": str(Path(sys.executable).with_name("router-service")),
}


def image_healthcheck(service: str) -> list[str]:
    """The Dockerfile's HEALTHCHECK command, with container paths mapped to this checkout."""
    instructions = parse_dockerfile(DOCKERFILES[service].read_text(encoding="utf-8"))
    (health,) = [i.args for i in instructions if i.keyword == "HEALTHCHECK"]
    argv = exec_form(health.partition("CMD ")[2])
    return [CONTAINER_PATHS.get(word, word) for word in argv]


def run_argv(
    argv: list[str], env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.endswith("_LISTEN_ADDR")}
    return subprocess.run(
        argv,
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def run_check(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.endswith("_LISTEN_ADDR")}
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serving_server_passes(health_server: tuple[health.HealthServicer, int]) -> None:
    servicer, port = health_server
    servicer.set("", SERVING)
    result = run_check(f"127.0.0.1:{port}")
    assert result.returncode == 0, result.stderr
    assert "SERVING" in result.stderr


def test_not_serving_server_fails(health_server: tuple[health.HealthServicer, int]) -> None:
    servicer, port = health_server
    servicer.set("", NOT_SERVING)
    result = run_check(f"127.0.0.1:{port}")
    assert result.returncode == 1
    assert "NOT_SERVING" in result.stderr


def test_unknown_service_name_fails(health_server: tuple[health.HealthServicer, int]) -> None:
    servicer, port = health_server
    servicer.set("", SERVING)
    result = run_check(f"127.0.0.1:{port}", "--service", "no.such.Service")
    assert result.returncode == 1
    assert "NOT_FOUND" in result.stderr


def test_nothing_listening_fails() -> None:
    result = run_check(f"127.0.0.1:{closed_port()}", "--timeout", "1")
    assert result.returncode == 1
    assert "UNAVAILABLE" in result.stderr or "DEADLINE_EXCEEDED" in result.stderr


def test_port_comes_from_the_services_listen_variable(
    health_server: tuple[health.HealthServicer, int],
) -> None:
    servicer, port = health_server
    servicer.set("", SERVING)
    env = {"TELEMETRY_LISTEN_ADDR": f"0.0.0.0:{port}"}
    result = run_check("--listen-env", "TELEMETRY_LISTEN_ADDR", env=env)
    assert result.returncode == 0, result.stderr
    assert f"127.0.0.1:{port}" in result.stderr


def test_malformed_listen_variable_fails_naming_it() -> None:
    result = run_check("--listen-env", "ROUTER_LISTEN_ADDR", env={"ROUTER_LISTEN_ADDR": "nonsense"})
    assert result.returncode == 1
    assert "ROUTER_LISTEN_ADDR" in result.stderr


def test_router_image_health_check_fails_when_nothing_listens() -> None:
    env = {"ROUTER_LISTEN_ADDR": f"0.0.0.0:{closed_port()}"}
    assert run_argv(image_healthcheck("router"), env).returncode != 0


async def test_router_server_passes_the_image_health_check_even_with_caller_auth() -> None:
    # The Kubernetes grpc probe and the Docker HEALTHCHECK carry no token: the router must
    # answer health checks without one while RouteSeat still requires it.
    settings = load_settings(
        {
            "ROUTER_LISTEN_ADDR": "127.0.0.1:0",
            "OPENROUTER_API_KEY": "sk-or-v1-test",
            "ROUTER_AUTH_TOKEN": "caller-token",
            "ROUTER_WORKERS": "1",
        }
    )
    provider = TracerProvider()
    server, port = await create_server(settings, tracer_provider=provider)
    await server.start()
    try:
        env = {"ROUTER_LISTEN_ADDR": f"0.0.0.0:{port}"}
        result = await asyncio.to_thread(run_argv, image_healthcheck("router"), env)
    finally:
        await server.stop()
        provider.shutdown()
    assert result.returncode == 0, result.stderr


@pytest.fixture(scope="module")
def telemetry_service(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """The real `telemetry-service serve` on the embedded engine, in its own process."""
    workdir = tmp_path_factory.mktemp("telemetry")
    port_file = workdir / "port"
    env = {
        **os.environ,
        "TELEMETRY_LISTEN_ADDR": "127.0.0.1:0",
        "TELEMETRY_DATA_DIR": str(workdir / "data"),
        "TELEMETRY_CATALOG_INTERVAL_S": "0",
    }
    log_path = workdir / "telemetry.log"
    with log_path.open("wb") as log:
        service = subprocess.Popen(
            [sys.executable, "-m", "telemetry_service", "serve", "--port-file", str(port_file)],
            env=env,
            cwd=workdir,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
    try:
        # Generous: the machine may be busy; a normal start takes about two seconds.
        deadline = time.monotonic() + 120
        while not port_file.exists():
            log_tail = log_path.read_text(errors="replace")[-2000:]
            assert service.poll() is None, f"telemetry-service exited during start:\n{log_tail}"
            assert time.monotonic() < deadline, f"no start within 120 s:\n{log_tail}"
            time.sleep(0.1)
        yield service, int(port_file.read_text().strip())
    finally:
        if service.poll() is None:
            service.kill()
        service.wait()


def test_telemetry_service_passes_the_image_health_check(
    telemetry_service: tuple[subprocess.Popen[bytes], int],
) -> None:
    # The telemetry image's HEALTHCHECK command, port from the variable the image sets.
    _service, port = telemetry_service
    env = {"TELEMETRY_LISTEN_ADDR": f"0.0.0.0:{port}"}
    result = run_argv(image_healthcheck("telemetry"), env)
    assert result.returncode == 0, result.stderr


def test_telemetry_service_exits_cleanly_on_sigterm(
    telemetry_service: tuple[subprocess.Popen[bytes], int],
) -> None:
    # Docker and Kubernetes stop a container with SIGTERM and kill it after a grace period
    # (30 s in deploy/k8s); an exit well inside it means the drain finished and nothing
    # buffered was cut off.
    service, _port = telemetry_service
    service.send_signal(signal.SIGTERM)
    try:
        exit_code: int | None = service.wait(timeout=15)
    except subprocess.TimeoutExpired:
        exit_code = None
    assert exit_code == 0, "telemetry-service did not exit within 15 s of SIGTERM"
