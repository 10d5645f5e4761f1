"""The demo's service processes: telemetry-service and router-service as children."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

LOG = logging.getLogger("council_demo")
START_TIMEOUT_S = 60.0


class DemoError(RuntimeError):
    """The demo cannot go on; the message says why."""


@dataclasses.dataclass
class Children:
    """Child processes with their logs; stop() ends them all (SIGTERM, then SIGKILL)."""

    log_dir: Path
    procs: dict[str, subprocess.Popen[bytes]] = dataclasses.field(default_factory=dict)

    def start(self, name: str, argv: list[str], env: Mapping[str, str]) -> None:
        log = (self.log_dir / f"{name}.log").open("wb")
        self.procs[name] = subprocess.Popen(argv, env=dict(env), stdout=log, stderr=log)
        log.close()

    def wait_port(self, name: str, port_file: Path) -> int:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if port_file.exists() and port_file.read_text().strip():
                return int(port_file.read_text().strip())
            if self.procs[name].poll() is not None:
                raise DemoError(f"{name} exited early:\n{self.log_tail(name)}")
            time.sleep(0.1)
        raise DemoError(f"{name} did not report its port in {START_TIMEOUT_S:.0f} s")

    def log_tail(self, name: str, lines: int = 15) -> str:
        text = (self.log_dir / f"{name}.log").read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.terminate()
        for name, proc in self.procs.items():
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                LOG.warning("%s did not stop in 15 s; killing it", name)
                proc.kill()
                proc.wait()


@contextlib.contextmanager
def data_dir(path: str) -> Iterator[Path]:
    if path:
        Path(path).mkdir(parents=True, exist_ok=True)
        yield Path(path).resolve()
        return
    with tempfile.TemporaryDirectory(prefix="council-demo-") as tmp:
        yield Path(tmp)


def module_argv(module: str, *args: str) -> list[str]:
    return [sys.executable, "-m", module, *args]


async def start_services(
    children: Children, root: Path, env: dict[str, str], telemetry_listen: str, router_listen: str
) -> tuple[int, int]:
    """Telemetry first (the router exports to it); returns (telemetry port, router port)."""
    tport_file, rport_file = root / "telemetry.port", root / "router.port"
    for stale in (tport_file, rport_file):
        stale.unlink(missing_ok=True)
    listen = ("--listen", telemetry_listen)
    telemetry = module_argv("telemetry_service", "serve", *listen, "--port-file", str(tport_file))
    children.start("telemetry", [*telemetry, "--data-dir", str(root)], env)
    tport = await asyncio.to_thread(children.wait_port, "telemetry", tport_file)
    env.update(
        OTEL_EXPORTER_OTLP_ENDPOINT=f"http://127.0.0.1:{tport}",
        OTEL_EXPORTER_OTLP_INSECURE="true",
        OTEL_BSP_SCHEDULE_DELAY="200",
    )
    router = module_argv(
        "router_service", "serve", "--listen", router_listen, "--port-file", str(rport_file)
    )
    children.start("router", [*router, "--workers", "1"], env)
    rport = await asyncio.to_thread(children.wait_port, "router", rport_file)
    LOG.info("telemetry-service on 127.0.0.1:%d, router-service on 127.0.0.1:%d", tport, rport)
    return tport, rport
