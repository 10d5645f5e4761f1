"""Real service processes for the reliability tests: launch, watch, measure, stop.

Each service runs as its own console script (`openrouter-sim serve`, `router-service serve`,
`telemetry-service serve`) on 127.0.0.1, announces its port through `--port-file`, and
writes its log to a file that the tests read (the secrets test greps them). The process
counters (open fds, threads, RSS) come from /proc.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

BIN = Path(sys.executable).parent
# Seconds a service may take to announce its port (the embedded engine starts in ~1-2 s).
START_TIMEOUT_S = 60.0
# Seconds a service gets to drain after SIGTERM before it is killed.
STOP_TIMEOUT_S = 20.0
# Seconds a service gets at teardown before it is killed.
TEARDOWN_STOP_S = 3.0
# Variables the services read; a test sets them explicitly, never inherits them.
_OWN_PREFIXES = ("OTEL_", "ROUTER_", "TELEMETRY_", "OPENROUTER_", "CLICKHOUSE_")

API_KEY = "sk-or-v1-reliability-canary-5e1f0c2a9b7d4e38"


@dataclass(frozen=True)
class TlsFiles:
    """A self-signed certificate (for 127.0.0.1 and localhost) and its private key."""

    cert: Path
    key: Path

    @property
    def cert_pem(self) -> bytes:
        return self.cert.read_bytes()


def free_port() -> int:
    """A port that was free a moment ago (for a service that must come back on the same one)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def base_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_OWN_PREFIXES)}
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra or {})
    return env


@dataclass
class ServiceProcess:
    """One running service process and where its log goes."""

    name: str
    popen: subprocess.Popen[bytes]
    port: int
    log_path: Path
    argv: list[str] = field(default_factory=list)

    @property
    def pid(self) -> int:
        return self.popen.pid

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def alive(self) -> bool:
        return self.popen.poll() is None

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def fd_count(self) -> int:
        return len(os.listdir(f"/proc/{self.pid}/fd"))

    def _status_field(self, name: str) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith(name + ":"):
                return int(line.split()[1])
        raise KeyError(name)

    def rss_kib(self) -> int:
        return self._status_field("VmRSS")

    def thread_count(self) -> int:
        return self._status_field("Threads")

    def cmdline(self) -> str:
        return Path(f"/proc/{self.pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()

    def environ(self) -> str:
        return Path(f"/proc/{self.pid}/environ").read_bytes().replace(b"\0", b"\n").decode()

    def signal(self, signum: int) -> None:
        if self.alive:
            self.popen.send_signal(signum)

    def wait(self, timeout_s: float) -> int:
        return self.popen.wait(timeout=timeout_s)

    def stop(self, timeout_s: float = STOP_TIMEOUT_S) -> int | None:
        """SIGTERM, wait for the drain, SIGKILL if it does not end. Returns the exit code."""
        if not self.alive:
            return self.popen.returncode
        self.popen.send_signal(signal.SIGTERM)
        try:
            return self.popen.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()
            return None

    def kill(self) -> None:
        if self.alive:
            self.popen.kill()
        self.popen.wait()


def launch(
    name: str,
    argv: Sequence[str],
    *,
    env: Mapping[str, str],
    workdir: Path,
    port_file: Path,
    timeout_s: float = START_TIMEOUT_S,
) -> ServiceProcess:
    """Start `argv`, wait until it writes its port to `port_file`, return the process."""
    port_file.unlink(missing_ok=True)
    log_path = workdir / f"{name}.log"
    with open(log_path, "ab") as log:
        popen = subprocess.Popen(
            list(argv),
            env=dict(env),
            cwd=workdir,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    proc = ServiceProcess(name, popen, 0, log_path, list(argv))
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        text = port_file.read_text().strip() if port_file.exists() else ""
        if text.isdigit():
            proc.port = int(text)
            return proc
        if not proc.alive:
            tail = proc.log_text()[-3000:]
            raise RuntimeError(f"{name} exited with {popen.returncode} before listening:\n{tail}")
        time.sleep(0.05)
    proc.kill()
    raise RuntimeError(f"{name} did not listen within {timeout_s} s:\n{proc.log_text()[-3000:]}")


class ProcessGroup:
    """Starts the services for one test (or module) and stops every one of them at the end."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.processes: list[ServiceProcess] = []
        self.key_file = workdir / "openrouter.key"
        self.key_file.write_text(API_KEY + "\n")
        self._count = 0

    def _next(self, name: str) -> tuple[str, Path]:
        self._count += 1
        label = f"{name}-{self._count}"
        return label, self.workdir / f"{label}.port"

    def sim(self, *, latency_ms: float = 0.0, require_key: bool = True) -> ServiceProcess:
        label, port_file = self._next("sim")
        argv = [str(BIN / "openrouter-sim"), "serve", "--port-file", str(port_file)]
        if require_key:
            argv += ["--api-key-file", str(self.key_file)]
        if latency_ms:
            argv += ["--latency-ms", str(latency_ms)]
        proc = launch(label, argv, env=base_env(), workdir=self.workdir, port_file=port_file)
        self.processes.append(proc)
        return proc

    def router(
        self,
        upstream: str,
        *,
        telemetry: str | None = None,
        env: Mapping[str, str] | None = None,
    ) -> ServiceProcess:
        """A router with one worker; `upstream` is the OpenRouter base URL."""
        label, port_file = self._next("router")
        settings = {"ROUTER_WORKERS": "1", "ROUTER_DRAIN_SECONDS": "5"}
        if telemetry is None:
            settings["OTEL_SDK_DISABLED"] = "true"
        else:
            settings["OTEL_EXPORTER_OTLP_ENDPOINT"] = telemetry
        settings.update(env or {})
        argv = [
            str(BIN / "router-service"),
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--base-url",
            upstream,
            "--api-key-file",
            str(self.key_file),
            "--port-file",
            str(port_file),
        ]
        proc = launch(
            label, argv, env=base_env(settings), workdir=self.workdir, port_file=port_file
        )
        self.processes.append(proc)
        return proc

    def telemetry(
        self,
        data_dir: Path,
        *,
        port: int = 0,
        env: Mapping[str, str] | None = None,
    ) -> ServiceProcess:
        label, port_file = self._next("telemetry")
        settings = {
            # The catalog poller would call OpenRouter; these tests are about the pipeline.
            "TELEMETRY_CATALOG_INTERVAL_S": "0",
            "TELEMETRY_FLUSH_INTERVAL_MS": "50",
        }
        settings.update(env or {})
        argv = [
            str(BIN / "telemetry-service"),
            "serve",
            "--listen",
            f"127.0.0.1:{port}",
            "--data-dir",
            str(data_dir),
            "--port-file",
            str(port_file),
        ]
        proc = launch(
            label, argv, env=base_env(settings), workdir=self.workdir, port_file=port_file
        )
        self.processes.append(proc)
        return proc

    def stop_all(self) -> None:
        # Teardown only: the tests that check draining wait for it themselves.
        for proc in reversed(self.processes):
            proc.stop(TEARDOWN_STOP_S)


@contextlib.contextmanager
def process_group(workdir: Path) -> Iterator[ProcessGroup]:
    group = ProcessGroup(workdir)
    try:
        yield group
    finally:
        group.stop_all()


class SimControl:
    """The simulator's HTTP control API (/_sim/...)."""

    def __init__(self, proc: ServiceProcess) -> None:
        self.root = f"http://127.0.0.1:{proc.port}"
        self.base_url = f"{self.root}/api/v1"
        self._http = httpx.Client(timeout=10.0)

    def close(self) -> None:
        self._http.close()

    def inject(self, **fault: object) -> None:
        response = self._http.post(f"{self.root}/_sim/faults", json=fault)
        assert response.status_code == 201, response.text

    def clear_faults(self) -> None:
        self._http.delete(f"{self.root}/_sim/faults").raise_for_status()

    def clear_requests(self) -> None:
        self._http.delete(f"{self.root}/_sim/requests").raise_for_status()

    def chat_requests(self) -> list[dict[str, object]]:
        response = self._http.get(f"{self.root}/_sim/requests")
        response.raise_for_status()
        return [r for r in response.json() if str(r["path"]).endswith("/chat/completions")]

    def reset(self) -> None:
        self.clear_faults()
        self.clear_requests()


def record_figures(test: str, **figures: object) -> None:
    """Append a run's figures as one JSON line to $RELIABILITY_FIGURES (when it is set)."""
    target = os.environ.get("RELIABILITY_FIGURES")
    if target:
        with open(target, "a") as handle:
            handle.write(json.dumps({"test": test, **figures}) + "\n")


def wait_until(predicate: object, timeout_s: float, interval_s: float = 0.1) -> bool:
    """Poll `predicate()` until it is true or `timeout_s` passes; returns the last value."""
    assert callable(predicate)
    deadline = time.monotonic() + timeout_s
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return bool(predicate())
        time.sleep(interval_s)
