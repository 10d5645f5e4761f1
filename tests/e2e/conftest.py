"""Multi-process fixtures: the OpenRouter simulator, `telemetry-service serve` and
`router-service serve` as real subprocesses on port 0 with temporary data directories.

Each service is started with --port-file, waited for (health SERVING for the gRPC ones) and
stopped with SIGTERM at teardown. Factories (`start_telemetry`, `start_router`) let a test
start more than one, restart one on the same data directory, or wire services differently.
Process logs are written to `<tmp_path>/<name>.log` and shown when startup fails.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from llmcouncil.telemetry.v1 import telemetry_service_pb2 as tpb
from llmcouncil.telemetry.v1 import telemetry_service_pb2_grpc as tpb_grpc

from telemetry_service.query_cli import decode_rows

BIN = Path(sys.executable).parent
# An API key that must never show up in telemetry: tests grep the tables for it.
SIM_API_KEY = "sk-or-v1-e2e-secret-0123456789abcdef"
STARTUP_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 30.0
ROUTER_SERVICE = "llmcouncil.router.v1.RouterService"
# Variables of the developer's shell that would change how the services behave.
_ISOLATED_PREFIXES = ("OTEL_", "OPENROUTER_", "TELEMETRY_", "ROUTER_", "CLICKHOUSE_")


@dataclasses.dataclass
class ServiceProcess:
    """A started service: its process, bound port, log file and data directory."""

    name: str
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path
    data_dir: Path | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def running(self) -> bool:
        return self.process.poll() is None

    def stop(self, timeout_s: float = STOP_TIMEOUT_S) -> int:
        """SIGTERM and wait; a process that does not stop in time is killed (rc -9)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        return int(self.process.returncode)


def clean_environ(**extra: str) -> dict[str, str]:
    """The test process's environment without service settings, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_ISOLATED_PREFIXES)}
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


def launch(
    name: str, argv: list[str], env: dict[str, str], work_dir: Path, data_dir: Path | None = None
) -> ServiceProcess:
    """Start `argv` with --port-file and wait until the port is written."""
    work_dir.mkdir(parents=True, exist_ok=True)
    port_file = work_dir / f"{name}.port"
    port_file.unlink(missing_ok=True)
    log_path = work_dir / f"{name}.log"
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [*argv, "--port-file", str(port_file)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=work_dir,
        )
    service = ServiceProcess(name, process, 0, log_path, data_dir)
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        text = port_file.read_text().strip() if port_file.exists() else ""
        if text.isdigit():
            service.port = int(text)
            return service
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}:\n{service.log()}")
        time.sleep(0.05)
    service.stop()
    raise RuntimeError(f"{name} wrote no port within {STARTUP_TIMEOUT_S} s:\n{service.log()}")


def wait_serving(service: ServiceProcess, service_name: str = "") -> None:
    """Poll grpc.health.v1 until SERVING."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    with grpc.insecure_channel(service.address) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while time.monotonic() < deadline:
            try:
                reply = stub.Check(health_pb2.HealthCheckRequest(service=service_name), timeout=2)
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.RpcError:
                pass
            if not service.running():
                raise RuntimeError(f"{service.name} exited:\n{service.log()}")
            time.sleep(0.1)
    raise RuntimeError(f"{service.name} not SERVING in {STARTUP_TIMEOUT_S} s:\n{service.log()}")


@dataclasses.dataclass
class Sim:
    """The simulator process and its HTTP control API."""

    service: ServiceProcess
    api_key: str

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.service.port}/api/v1"

    def _control(self, method: str, path: str, body: Any = None) -> Any:
        response = httpx.request(
            method, f"http://127.0.0.1:{self.service.port}/_sim/{path}", json=body, timeout=10
        )
        response.raise_for_status()
        return response.json() if response.content else None

    def requests(self) -> list[dict[str, Any]]:
        return list(self._control("GET", "requests"))

    def clear_requests(self) -> None:
        self._control("DELETE", "requests")

    def inject(self, **fault: Any) -> None:
        self._control("POST", "faults", fault)

    def clear_faults(self) -> None:
        self._control("DELETE", "faults")

    def state(self) -> dict[str, Any]:
        return dict(self._control("GET", "state"))


@dataclasses.dataclass
class QueryAnswer:
    names: list[str]
    types: list[str]
    rows: list[list[Any]]
    truncated: bool

    def dicts(self) -> list[dict[str, Any]]:
        return [dict(zip(self.names, row, strict=True)) for row in self.rows]


def query(telemetry: ServiceProcess, sql: str, max_rows: int = 0) -> QueryAnswer:
    """Run read-only SQL through the telemetry service's ExecuteQuery."""
    with grpc.insecure_channel(telemetry.address) as channel:
        response = tpb_grpc.TelemetryQueryServiceStub(channel).ExecuteQuery(
            tpb.ExecuteQueryRequest(sql=sql, max_rows=max_rows), timeout=60
        )
    return QueryAnswer(
        [c.name for c in response.columns],
        [c.type for c in response.columns],
        decode_rows(response),
        response.truncated,
    )


def wait_for_count(
    telemetry: ServiceProcess, sql: str, expected: int, timeout_s: float = 30.0
) -> int:
    """Poll a `SELECT count() ...` until it reaches `expected` (spans arrive in batches)."""
    deadline = time.monotonic() + timeout_s
    value = -1
    while time.monotonic() < deadline:
        value = int(query(telemetry, sql).rows[0][0])
        if value >= expected:
            return value
        time.sleep(0.2)
    return value


StartTelemetry = Callable[..., ServiceProcess]
StartRouter = Callable[..., ServiceProcess]


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[Sim]:
    key_file = tmp_path / "sim-api-key"
    key_file.write_text(SIM_API_KEY)
    service = launch(
        "openrouter-sim",
        [str(BIN / "openrouter-sim"), "serve", "--port", "0", "--api-key-file", str(key_file)],
        clean_environ(),
        tmp_path,
    )
    try:
        yield Sim(service, SIM_API_KEY)
    finally:
        service.stop()


@pytest.fixture
def start_telemetry(tmp_path: Path, sim: Sim) -> Iterator[StartTelemetry]:
    """start_telemetry(data_dir=None, name="telemetry", **env) -> ServiceProcess.

    The same data_dir can be passed again after a stop to restart on the same store. The
    catalog poller (drift) reads the simulator's /models.
    """
    started: list[ServiceProcess] = []

    def start(data_dir: Path | None = None, name: str = "telemetry", **env: str) -> ServiceProcess:
        directory = data_dir or tmp_path / f"{name}-data"
        defaults = {
            "TELEMETRY_FLUSH_INTERVAL_MS": "50",
            "OPENROUTER_BASE_URL": sim.base_url,
            "OPENROUTER_API_KEY": sim.api_key,
        }
        environ = clean_environ(**{**defaults, **env})
        argv = [
            str(BIN / "telemetry-service"),
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--data-dir",
            str(directory),
        ]
        service = launch(name, argv, environ, tmp_path, directory)
        started.append(service)
        wait_serving(service)
        return service

    yield start
    # A telemetry process that ignores SIGTERM would lose its buffered rows: fail loudly.
    hung = [s.name for s in reversed(started) if s.stop() == -signal.SIGKILL]
    if hung:
        pytest.fail(f"did not stop within {STOP_TIMEOUT_S} s of SIGTERM: {hung}")


@pytest.fixture
def telemetry(start_telemetry: StartTelemetry) -> ServiceProcess:
    return start_telemetry()


@pytest.fixture
def start_router(tmp_path: Path, sim: Sim) -> Iterator[StartRouter]:
    """start_router(telemetry_port, name="router", **env) -> ServiceProcess.

    telemetry_port is where spans go (a closed port is fine: the router must not care).
    Spans are exported every 100 ms so tests do not wait for the SDK's default 5 s.
    """
    started: list[ServiceProcess] = []

    def start(telemetry_port: int, name: str = "router", **env: str) -> ServiceProcess:
        defaults = {
            "OPENROUTER_BASE_URL": sim.base_url,
            "OPENROUTER_API_KEY": sim.api_key,
            "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{telemetry_port}",
            "OTEL_EXPORTER_OTLP_INSECURE": "true",
            "OTEL_BSP_SCHEDULE_DELAY": "100",
            "OTEL_METRIC_EXPORT_INTERVAL": "500",
        }
        environ = clean_environ(**{**defaults, **env})
        argv = [
            str(BIN / "router-service"),
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--workers",
            "1",
        ]
        service = launch(name, argv, environ, tmp_path)
        started.append(service)
        wait_serving(service, ROUTER_SERVICE)
        return service

    yield start
    for service in reversed(started):
        service.stop()


@pytest.fixture
def router(start_router: StartRouter, telemetry: ServiceProcess) -> ServiceProcess:
    return start_router(telemetry.port)
