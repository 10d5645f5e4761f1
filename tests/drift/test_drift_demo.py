"""The README demo end to end (simulator, both services as child processes), compressed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]


@pytest.mark.e2e
@pytest.mark.slow
def test_demo_names_the_simulated_shifts_and_writes_the_chart(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "OPENROUTER_API_KEY"}
    chart = tmp_path / "drift.png"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "examples.council_demo",
            *("--duration", "24", "--shift-every", "12", "--window", "6"),
            *("--sessions-per-window", "10", "--plot", str(chart)),
            *("--data-dir", str(tmp_path / "data")),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
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
