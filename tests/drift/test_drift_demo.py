"""The README demo end to end (simulator, both services as child processes), compressed."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
SELECTION_SQL = "SELECT tier, resolved_model, count() FROM seat_selections GROUP BY ALL"


def read_until(proc: subprocess.Popen[str], marker: str, timeout_s: float) -> str:
    """Reads the process's stdout until a line holds `marker`; fails on exit or timeout."""
    assert proc.stdout is not None
    stream = proc.stdout
    lines: queue.Queue[str] = queue.Queue()
    # A thread, because select() cannot see lines already in the pipe's read buffer.

    def pump() -> None:
        for line in stream:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    seen: list[str] = []
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=1.0)
        except queue.Empty:
            if proc.poll() is not None:
                break
            continue
        seen.append(line)
        if marker in line:
            return "".join(seen)
    raise AssertionError(f"no {marker!r} from the demo; stdout so far:\n{''.join(seen)}")


@pytest.mark.e2e
@pytest.mark.slow
def test_demo_names_the_simulated_shifts_and_writes_the_chart(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "OPENROUTER_API_KEY"}
    chart = tmp_path / "drift.png"
    demo = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "examples.council_demo",
            *("--duration", "24", "--shift-every", "12", "--window", "6"),
            *("--sessions-per-window", "10", "--plot", str(chart)),
            *("--data-dir", str(tmp_path / "data"), "--keep-running"),
            *("--router-listen", "127.0.0.1:0", "--telemetry-listen", "127.0.0.1:0"),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    stdout = ""
    try:
        stdout = read_until(demo, "grpcurl -plaintext", timeout_s=240)
        # The README's follow-up query works against the stack the demo left running.
        query = next(
            line for line in stdout.splitlines() if "telemetry-service query --addr" in line
        )
        addr = query.split("--addr ")[1].split()[0]
        queried = subprocess.run(
            [sys.executable, "-m", "telemetry_service", "query", "--addr", addr, SELECTION_SQL],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert queried.returncode == 0, queried.stderr
        assert "resolved_model" in queried.stdout
        assert "high" in queried.stdout and "balanced" in queried.stdout
    finally:
        demo.send_signal(signal.SIGINT)
        _, stderr = demo.communicate(timeout=60)
    done = subprocess.CompletedProcess(demo.args, demo.returncode, stdout, stderr)
    assert done.returncode == 130, done.stderr[-3000:]
    assert "using the bundled OpenRouter simulator" in done.stderr
    # The default schedule's first shift moves the high band's pick.
    assert "high      google/gemini-3.1-pro-preview -> openai/gpt-5.4: detected" in done.stdout
    assert "top model changed" in done.stdout
    assert "SELECT tier, resolved_model, count() FROM seat_selections GROUP BY ALL" in done.stdout
    assert chart.read_bytes()[:4] == b"\x89PNG"
    # Every child process was stopped: no port file owner is left listening.
    leftover = subprocess.run(
        ["pgrep", "-f", str(tmp_path / "data")], capture_output=True, text=True, check=False
    )
    assert leftover.stdout.strip() == ""
