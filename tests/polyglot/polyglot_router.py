"""Run `router-service serve` as a real subprocess on 127.0.0.1 port 0, pointed at a simulator.

Shared by the polyglot client tests and the grpcurl recipe tests: clients in other
languages and grpcurl talk to the router exactly as a user's program would.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

# How long the router may take to import, bind and write its port file (seconds).
STARTUP_TIMEOUT_S = 60.0
# How long it may take to drain and exit after SIGTERM (seconds).
SHUTDOWN_TIMEOUT_S = 20.0
# Inherited variables that would change the router's behaviour under test.
ISOLATED_PREFIXES = ("ROUTER_", "OPENROUTER_", "OTEL_")


@dataclass(frozen=True)
class RouterProcess:
    """A listening router subprocess."""

    process: subprocess.Popen[bytes]
    port: int
    log_path: Path

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    def log_tail(self, lines: int = 40) -> str:
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])


def router_environ(base_url: str, api_key: str) -> dict[str, str]:
    """The test process's environment, minus router/OTel settings, plus the upstream."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(ISOLATED_PREFIXES)}
    env.update(
        OPENROUTER_BASE_URL=base_url,
        OPENROUTER_API_KEY=api_key,
        # No telemetry service in these tests; spans are not under test here.
        OTEL_SDK_DISABLED="true",
    )
    return env


def _read_port(port_file: Path) -> int | None:
    try:
        text = port_file.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return None
    return int(text) if text.isdigit() and int(text) > 0 else None


def _wait_for_port(process: subprocess.Popen[bytes], port_file: Path, log_path: Path) -> int:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        port = _read_port(port_file)
        if port is not None:
            return port
        if process.poll() is not None:
            log = log_path.read_text(encoding="utf-8", errors="replace")
            raise RuntimeError(f"router-service exited with {process.returncode}:\n{log}")
        time.sleep(0.05)
    raise RuntimeError(f"router-service wrote no port to {port_file} in {STARTUP_TIMEOUT_S} s")


@contextmanager
def run_router(
    *, base_url: str, api_key: str, workdir: Path, extra_args: Sequence[str] = ()
) -> Iterator[RouterProcess]:
    """Start `router-service serve --workers 1` on port 0; SIGTERM it on exit."""
    workdir.mkdir(parents=True, exist_ok=True)
    port_file = workdir / "router.port"
    log_path = workdir / "router.log"
    command = [
        sys.executable,
        "-m",
        "router_service",
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--port-file",
        str(port_file),
        "--workers",
        "1",
        *extra_args,
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            env=router_environ(base_url, api_key),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        port = _wait_for_port(process, port_file, log_path)
        yield RouterProcess(process=process, port=port, log_path=log_path)
    finally:
        process.terminate()
        try:
            process.wait(timeout=SHUTDOWN_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
