"""Optional sampling profiles (py-spy) of the router and telemetry under load.

py-spy samples a running process from outside (no code change, little overhead) and
writes collapsed stacks ("frame;frame;frame count" per line); ``summarize`` turns them into
the top functions by own time and by inclusive time, which docs/benchmarks.md quotes.
"""

from __future__ import annotations

import contextlib
import json
import logging
import signal
import subprocess
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

log = logging.getLogger(__name__)

SAMPLE_RATE_HZ = 250


def py_spy(tools_dir: Path) -> Path | None:
    exe = tools_dir / "py-spy-venv" / "bin" / "py-spy"
    return exe if exe.exists() else None


def start(exe: Path, pid: int, out: Path, seconds: int) -> subprocess.Popen[bytes]:
    """Record ``pid`` and its worker subprocesses for at most ``seconds`` seconds."""
    argv = [
        str(exe),
        "record",
        "--pid",
        str(pid),
        "--subprocesses",
        "--format",
        "raw",
        "--rate",
        str(SAMPLE_RATE_HZ),
        "--duration",
        str(seconds),
        "--nonblocking",
        "--output",
        str(out),
    ]
    log.info("profiling pid %d into %s", pid, out)
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop(proc: subprocess.Popen[bytes]) -> None:
    """End the recording early (py-spy writes its output on SIGINT)."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)


def _frame_name(frame: str) -> str:
    # py-spy raw frames look like "function (path/to/file.py:123)"; drop the line number so
    # samples of one function add up.
    name, _, rest = frame.partition(" (")
    path = rest.rsplit(":", 1)[0]
    for marker in ("site-packages/", "/work/main/", "lib/python3.11/"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return f"{name} ({path})"


def summarize(collapsed: Path, top: int = 25) -> dict[str, object]:
    """Top functions by own samples and by inclusive samples, as shares of all samples."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in collapsed.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_frame_name(f) for f in stack.split(";") if f and not f.startswith("process ")]
        frames = [f for f in frames if not f.startswith("thread ")]
        if not frames:
            continue
        total += count
        own[frames[-1]] += count
        for name in set(frames):
            inclusive[name] += count

    def shares(counter: Counter[str]) -> list[tuple[str, float]]:
        return [(name, round(100.0 * n / total, 1)) for name, n in counter.most_common(top)]

    return {
        "samples": total,
        "own_pct": shares(own),
        "inclusive_pct": shares(inclusive),
    }


@contextlib.contextmanager
def maybe_profile(
    tools_dir: Path, enabled: bool, pid: int, out_dir: Path, name: str, into: dict[str, object]
) -> Iterator[None]:
    """Profile ``pid`` while the block runs when ``enabled``; the summary goes to ``into``."""
    exe = py_spy(tools_dir) if enabled else None
    if exe is None:
        yield
        return
    out = out_dir / f"profile-{name}.txt"
    proc = start(exe, pid, out, seconds=300)
    try:
        yield
    finally:
        stop(proc)
        if out.exists():
            summary = summarize(out)
            (out_dir / f"profile-{name}.json").write_text(json.dumps(summary, indent=2))
            into[name] = summary
