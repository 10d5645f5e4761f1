"""router-service -> OpenTelemetry Collector -> telemetry-service, all real processes.

The collector is a stock build (OTLP receiver, batch processor, OTLP exporter) made by
.ci/otelcol.sh with the Collector Builder, so these tests show the telemetry service is a
standard OTLP endpoint: whatever the collector forwards, retries included, lands in
seat_selections exactly once.
"""

from __future__ import annotations

import dataclasses
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import grpc
import pytest
from llmcouncil.router.v1 import router_service_pb2 as rpb
from llmcouncil.router.v1 import router_service_pb2_grpc as rpb_grpc

from tests.e2e.conftest import (
    BIN,
    STARTUP_TIMEOUT_S,
    STOP_TIMEOUT_S,
    ServiceProcess,
    Sim,
    StartRouter,
    StartTelemetry,
    clean_environ,
    launch,
    query,
    wait_for_count,
    wait_serving,
)

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
BUILD_SCRIPT = ROOT / ".ci" / "otelcol.sh"
COLLECTOR_BINARY = ROOT / ".tools" / "otelcol" / "otelcol-council"
# A cold build downloads and compiles the collector modules: minutes on 2 cores.
BUILD_TIMEOUT_S = 900.0
POOL = ["openai/gpt-5", "anthropic/claude-sonnet-4.5"]
SELECTIONS = 20

# Retries are quick (200 ms .. 1 s) so a telemetry restart is bridged within seconds.
COLLECTOR_CONFIG = """\
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 127.0.0.1:{receiver_port}
processors:
  batch:
    send_batch_size: 512
    timeout: 200ms
exporters:
  # "otlp_grpc" is the exporter's name at v0.165.0; "otlp" is only a deprecated alias.
  otlp_grpc:
    endpoint: 127.0.0.1:{telemetry_port}
    tls:
      insecure: true
    timeout: 10s
    sending_queue:
      enabled: true
      num_consumers: 2
      queue_size: 1000
    retry_on_failure:
      enabled: true
      initial_interval: 200ms
      max_interval: 1s
      max_elapsed_time: 120s
service:
  telemetry:
    # No internal metrics server: its default port 8888 would clash between runs.
    metrics:
      level: none
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [otlp_grpc]
    metrics:
      receivers: [otlp]
      processors: [batch]
      exporters: [otlp_grpc]
"""


@dataclasses.dataclass
class Collector:
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> int:
        """SIGTERM and wait; a collector that does not stop in time is killed (rc -9)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        return int(self.process.returncode)


StartCollector = Callable[[int], Collector]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def accepts_connections(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def collector_binary() -> Path:
    """The built collector; built on first use when `go` is there (cached afterwards)."""
    if not COLLECTOR_BINARY.exists():
        if shutil.which("go") is None:
            pytest.skip(f"{COLLECTOR_BINARY} is missing and go is not on PATH to build it")
        done = subprocess.run(
            ["bash", str(BUILD_SCRIPT)],
            capture_output=True,
            text=True,
            timeout=BUILD_TIMEOUT_S,
            check=False,
        )
        assert done.returncode == 0, f"{BUILD_SCRIPT} failed:\n{done.stdout}\n{done.stderr}"
    assert COLLECTOR_BINARY.exists(), f"{BUILD_SCRIPT} did not produce {COLLECTOR_BINARY}"
    return COLLECTOR_BINARY


@pytest.fixture
def start_collector(collector_binary: Path, tmp_path: Path) -> Iterator[StartCollector]:
    """start_collector(telemetry_port) -> Collector, stopped with SIGTERM at teardown."""
    started: list[Collector] = []

    def start(telemetry_port: int) -> Collector:
        port = free_port()
        config = tmp_path / "collector.yaml"
        config.write_text(
            COLLECTOR_CONFIG.format(receiver_port=port, telemetry_port=telemetry_port)
        )
        log_path = tmp_path / "collector.log"
        with log_path.open("ab") as log:
            process = subprocess.Popen(
                [str(collector_binary), "--config", str(config)],
                env=clean_environ(),
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=tmp_path,
            )
        collector = Collector(process, port, log_path)
        started.append(collector)
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not accepts_connections(port):
            if process.poll() is not None:
                raise RuntimeError(
                    f"collector exited with {process.returncode}:\n{collector.log()}"
                )
            if time.monotonic() > deadline:
                raise RuntimeError(f"collector not listening on {port}:\n{collector.log()}")
            time.sleep(0.1)
        return collector

    yield start
    killed = [c.log() for c in started if c.stop() == -signal.SIGKILL]
    if killed:
        pytest.fail(f"collector did not stop within {STOP_TIMEOUT_S} s of SIGTERM:\n{killed}")


@pytest.fixture
def start_telemetry_on_port(tmp_path: Path, sim: Sim) -> Iterator[Callable[[int], ServiceProcess]]:
    """Telemetry on a fixed port: the collector's exporter keeps one address across a restart.

    start_telemetry always listens on port 0, so a restart would move it; this one binds
    the port it is given and reuses tmp_path/telemetry-fixed-data.
    """
    started: list[ServiceProcess] = []
    data_dir = tmp_path / "telemetry-fixed-data"

    def start(port: int) -> ServiceProcess:
        environ = clean_environ(
            TELEMETRY_FLUSH_INTERVAL_MS="50",
            OPENROUTER_BASE_URL=sim.base_url,
            OPENROUTER_API_KEY=sim.api_key,
        )
        argv = [
            str(BIN / "telemetry-service"),
            "serve",
            "--listen",
            f"127.0.0.1:{port}",
            "--data-dir",
            str(data_dir),
        ]
        service = launch("telemetry-fixed", argv, environ, tmp_path, data_dir)
        started.append(service)
        wait_serving(service)
        return service

    yield start
    hung = [s.name for s in reversed(started) if s.stop() == -signal.SIGKILL]
    if hung:
        pytest.fail(f"did not stop within {STOP_TIMEOUT_S} s of SIGTERM: {hung}")


def trace_export_failed(log: str) -> bool:
    """A retry_sender line of the collector's log for the traces pipeline."""
    return any(
        "Exporting failed" in line and '"otelcol.signal": "traces"' in line
        for line in log.splitlines()
    )


def route_sessions(router: ServiceProcess, sessions: list[str]) -> dict[str, str]:
    """One RouteSeat per session; returns trace_id -> resolved_model as the router said."""
    answers: dict[str, str] = {}
    with grpc.insecure_channel(router.address) as channel:
        stub = rpb_grpc.RouterServiceStub(channel)
        for session in sessions:
            answer = stub.RouteSeat(
                rpb.RouteSeatRequest(
                    model="openrouter/pareto-code",
                    tier=rpb.TIER_BALANCED,
                    messages=[rpb.ChatMessage(role="user", content="Sort a linked list.")],
                    session_id=session,
                    seat_id="seat-collector",
                    pool_models=POOL,
                ),
                timeout=30,
            )
            answers[answer.trace_id] = answer.resolved_model
    return answers


def assert_landed_exactly_once(telemetry: ServiceProcess, answers: dict[str, str]) -> None:
    expected = len(answers)
    counted = wait_for_count(telemetry, "SELECT count() FROM seat_selections", expected)
    assert counted == expected
    # FINAL collapses duplicates; the plain count and the distinct span ids show there were
    # none to collapse, i.e. no retried batch was stored twice.
    (row,) = query(
        telemetry,
        "SELECT (SELECT count() FROM seat_selections FINAL),"
        " (SELECT count() FROM seat_selections),"
        " (SELECT count(DISTINCT span_id) FROM seat_selections)",
    ).rows
    assert [int(v) for v in row] == [expected, expected, expected]
    stored = query(telemetry, "SELECT trace_id, resolved_model FROM seat_selections FINAL").rows
    assert {str(t): str(m) for t, m in stored} == answers


def test_selections_through_the_collector_land_exactly_once(
    start_telemetry: StartTelemetry, start_router: StartRouter, start_collector: StartCollector
) -> None:
    telemetry = start_telemetry()
    collector = start_collector(telemetry.port)
    router = start_router(collector.port, OTEL_EXPORTER_OTLP_ENDPOINT=collector.endpoint)

    answers = route_sessions(router, [f"sess-collector-{i}" for i in range(SELECTIONS)])

    assert len(answers) == SELECTIONS
    assert all(answers.values())
    assert_landed_exactly_once(telemetry, answers)


def test_spans_held_by_the_collector_while_telemetry_is_down_land_exactly_once(
    start_telemetry_on_port: Callable[[int], ServiceProcess],
    start_router: StartRouter,
    start_collector: StartCollector,
) -> None:
    port = free_port()
    telemetry = start_telemetry_on_port(port)
    collector = start_collector(port)
    router = start_router(collector.port, OTEL_EXPORTER_OTLP_ENDPOINT=collector.endpoint)
    before = route_sessions(router, [f"sess-before-{i}" for i in range(5)])
    assert_landed_exactly_once(telemetry, before)

    assert telemetry.stop() == 0
    during = route_sessions(router, [f"sess-during-{i}" for i in range(5)])
    # The collector really held them: its trace export failed against the stopped service.
    deadline = time.monotonic() + 30
    while not trace_export_failed(collector.log()) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert trace_export_failed(collector.log()), collector.log()

    restarted = start_telemetry_on_port(port)
    assert_landed_exactly_once(restarted, {**before, **during})
