"""Starting, watching and stopping the processes a benchmark run needs.

Every process is started in its own process group so that a gateway that forks workers
(router, LiteLLM) is stopped as a whole, and only the groups started here are signalled.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout_s: float, proc: subprocess.Popen[bytes] | None = None) -> None:
    """Wait until something accepts TCP connections on 127.0.0.1:port."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(
                f"process {proc.args!r} exited with {proc.returncode} before port {port} opened"
            )
        with (
            contextlib.suppress(OSError),
            socket.create_connection(("127.0.0.1", port), timeout=0.5),
        ):
            return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listened on 127.0.0.1:{port} within {timeout_s:.0f} s")


def wait_for_port_file(path: Path, timeout_s: float, proc: subprocess.Popen[bytes]) -> int:
    """Wait for a service to write its bound port to ``path`` and return it."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(
                f"process {proc.args!r} exited with {proc.returncode} before writing {path}"
            )
        with contextlib.suppress(FileNotFoundError, ValueError):
            text = path.read_text().strip()
            if text:
                return int(text)
        time.sleep(0.1)
    raise TimeoutError(f"{path} was not written within {timeout_s:.0f} s")


def process_tree(pid: int) -> list[int]:
    """``pid`` and all its descendants (from /proc), so forked workers are measured too."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            stat = (entry / "stat").read_text()
            # Field 4 (ppid) comes after the parenthesised command, which may hold spaces.
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry.name))
    tree: list[int] = []
    todo = [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, []))
    return tree


def _status_kib(pid: int, key: str) -> int:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


@dataclass
class MemoryReport:
    """Peak resident memory of a process tree, in MiB."""

    peak_rss_mib_per_process: dict[int, float] = field(default_factory=dict)

    @property
    def peak_rss_mib_sum(self) -> float:
        """Sum of each process's own peak (an upper bound of the tree's simultaneous peak)."""
        return round(sum(self.peak_rss_mib_per_process.values()), 1)

    @property
    def peak_rss_mib_max(self) -> float:
        return round(max(self.peak_rss_mib_per_process.values(), default=0.0), 1)


def memory_report(pid: int) -> MemoryReport:
    """VmHWM (the kernel's high-water mark of resident memory) of every process in the tree."""
    report = MemoryReport()
    for member in process_tree(pid):
        hwm_kib = _status_kib(member, "VmHWM")
        if hwm_kib:
            report.peak_rss_mib_per_process[member] = round(hwm_kib / 1024, 1)
    return report


@dataclass
class Service:
    """One started process group with its log file."""

    name: str
    proc: subprocess.Popen[bytes]
    log_path: Path
    stop_seconds: float | None = None
    """Seconds from SIGTERM to exit at the last stop (None: it had to be killed)."""

    @property
    def pid(self) -> int:
        return self.proc.pid

    def memory(self) -> MemoryReport:
        return memory_report(self.proc.pid)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def log_tail(self, lines: int = 30) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def stop(self, timeout_s: float = 20.0) -> float | None:
        """SIGTERM the group, then SIGKILL whatever is left after ``timeout_s`` seconds.

        Returns the seconds the process took to exit after SIGTERM (None when killed).
        """
        took: float | None = 0.0
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            started = time.monotonic()
            try:
                self.proc.wait(timeout=timeout_s)
                took = round(time.monotonic() - started, 2)
            except subprocess.TimeoutExpired:
                log.warning("%s did not stop within %.0f s; killing it", self.name, timeout_s)
                took = None
        # Workers may outlive a parent that exited first: clear the whole group either way.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=2)
        self.stop_seconds = took
        return took


def start(
    name: str,
    argv: Sequence[str],
    log_dir: Path,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Service:
    """Start ``argv`` in a new process group with stdout/stderr to ``log_dir/name.log``."""
    log_path = log_dir / f"{name}.log"
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    log.info("starting %s: %s", name, " ".join(argv))
    with log_path.open("ab") as out:
        proc = subprocess.Popen(
            list(argv),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=full_env,
            cwd=cwd,
            start_new_session=True,
        )
    return Service(name=name, proc=proc, log_path=log_path)


@contextlib.contextmanager
def running(service: Service) -> Iterator[Service]:
    """Stop ``service`` when the block ends, whatever happens inside."""
    try:
        yield service
    finally:
        service.stop()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time (s) used so far by every live process of the tree."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for member in process_tree(pid):
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
            # After the command: state is fields[0]; utime and stime are stat fields 14 and 15.
            total += int(fields[11]) + int(fields[12])
    return total / ticks


def load_average() -> tuple[float, float, float]:
    one, five, fifteen = Path("/proc/loadavg").read_text().split()[:3]
    return float(one), float(five), float(fifteen)
