"""`router-service health`: exit 0 only when SERVING, 1 otherwise, 2 on a usage error."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from opentelemetry.sdk.trace import TracerProvider

from openrouter_sim import SimServer
from router_service.cli import main
from router_service.health_check import probe_target
from router_service.server import SERVICE_NAME, create_server
from tests.router_service.router_helpers import (
    RouterHarness,
    make_settings,
)
from tests.tls_support import self_signed_cert_pem

ROUTER_BIN = str(Path(sys.executable).parent / "router-service")


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def health(*args: str, environ: dict[str, str] | None = None) -> int:
    # The check is a blocking gRPC call: keep it off the loop that serves the router.
    return await asyncio.to_thread(main, ["health", *args], environ or {})


@pytest.mark.parametrize(
    "service",
    [pytest.param("", id="whole-server"), pytest.param(SERVICE_NAME, id="router-service")],
)
async def test_serving_server_exits_0_and_prints_serving(
    router: RouterHarness, service: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await health("--addr", router.target, "--service", service) == 0
    assert capsys.readouterr().out.strip() == "SERVING"


async def test_draining_server_exits_1_and_prints_not_serving(
    router: RouterHarness, capsys: pytest.CaptureFixture[str]
) -> None:
    await router.server.health.enter_graceful_shutdown()
    assert await health("--addr", router.target) == 1
    assert capsys.readouterr().out.strip() == "NOT_SERVING"


async def test_unknown_service_exits_1_naming_it(
    router: RouterHarness, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await health("--addr", router.target, "--service", "no.such.Service") == 1
    out, err = capsys.readouterr()
    assert out.strip() == "NOT_FOUND"
    assert "no.such.Service" in err


async def test_closed_port_exits_1_and_prints_the_grpc_code(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert await health("--addr", f"127.0.0.1:{closed_port()}", "--timeout", "2") == 1
    assert capsys.readouterr().out.strip() in {"UNAVAILABLE", "DEADLINE_EXCEEDED"}


async def test_address_defaults_to_the_listen_variable_with_wildcard_as_loopback(
    router: RouterHarness, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await health(environ={"ROUTER_LISTEN_ADDR": f"0.0.0.0:{router.port}"}) == 0
    assert capsys.readouterr().out.strip() == "SERVING"


@pytest.mark.parametrize(
    "addr, expected",
    [
        pytest.param("0.0.0.0:50051", "127.0.0.1:50051", id="ipv4-wildcard"),
        pytest.param("[::]:50051", "[::1]:50051", id="ipv6-wildcard"),
        pytest.param("router:7000", "router:7000", id="name"),
    ],
)
def test_probe_target_dials_loopback_for_wildcard_hosts(addr: str, expected: str) -> None:
    assert probe_target("--addr", addr) == expected


@pytest.mark.parametrize(
    "args, named",
    [
        pytest.param(["--addr", "nonsense"], "--addr", id="addr-without-port"),
        pytest.param(["--addr", "127.0.0.1:0"], "--addr", id="addr-port-0"),
        pytest.param(["--addr", "127.0.0.1:1", "--timeout", "0"], "--timeout", id="timeout-0"),
        pytest.param(["--addr", "127.0.0.1:1", "--timeout", "soon"], "--timeout", id="timeout"),
        pytest.param(["--addr", "127.0.0.1:1", "--ca-file", "/no/such.pem"], "--ca-file", id="ca"),
    ],
)
def test_usage_errors_exit_2_naming_the_flag(
    args: list[str], named: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["health", *args], {}) == 2
    assert named in capsys.readouterr().err


def test_bad_listen_variable_exits_2_naming_it(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["health"], {"ROUTER_LISTEN_ADDR": "nonsense"}) == 2
    assert "ROUTER_LISTEN_ADDR" in capsys.readouterr().err


def test_unknown_flag_is_a_usage_error() -> None:
    with pytest.raises(SystemExit) as caught:
        main(["health", "--bogus"], {})
    assert caught.value.code == 2


async def test_tls_server_is_checked_with_its_ca(
    sim: SimServer,
    tracer_provider: TracerProvider,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    cert, key = self_signed_cert_pem(tmp_path)
    settings = make_settings(sim.base_url, tls_cert=cert, tls_key=key)
    server, port = await create_server(settings, tracer_provider=tracer_provider)
    await server.start()
    try:
        addr = f"127.0.0.1:{port}"
        assert await health("--addr", addr, "--ca-file", str(tmp_path / "cert.pem")) == 0
        assert capsys.readouterr().out.strip() == "SERVING"
        # Plaintext against a TLS listener never gets an answer.
        assert await health("--addr", addr, "--timeout", "2") == 1
    finally:
        await server.stop(0)


async def test_console_script_needs_no_api_key(router: RouterHarness) -> None:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("OPENROUTER_")}
    done = await asyncio.to_thread(
        subprocess.run,
        [ROUTER_BIN, "health", "--addr", router.target],
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stdout.strip()) == (0, "SERVING"), done.stderr
