from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

STARTUP_TIMEOUT_S = 15.0  # a cold interpreter on a busy machine


def _command() -> list[str]:
    """The installed console script next to this interpreter, else `python -m`."""
    script = Path(sys.executable).with_name("openrouter-sim")
    return [str(script)] if script.exists() else [sys.executable, "-m", "openrouter_sim"]


def _start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*_command(), "serve", *args],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )


def _wait_for_port(path: Path, proc: subprocess.Popen[str]) -> int:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().strip():
            return int(path.read_text())
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    proc.kill()
    _, err = proc.communicate()
    raise AssertionError(f"simulator did not start: {err}")


@pytest.mark.parametrize(
    "signum", [pytest.param(signal.SIGTERM, id="sigterm"), pytest.param(signal.SIGINT, id="sigint")]
)
def test_serve_writes_port_file_answers_and_exits_0_on_signal(
    tmp_path: Path, signum: signal.Signals
) -> None:
    port_file = tmp_path / "port"
    key_file = tmp_path / "key"
    key_file.write_text("sk-from-file\n")
    proc = _start("--port", "0", "--port-file", str(port_file), "--api-key-file", str(key_file))
    try:
        port = _wait_for_port(port_file, proc)
        base = f"http://127.0.0.1:{port}/api/v1"
        body = {"model": "openrouter/pareto-code", "messages": [{"role": "user", "content": "hi"}]}
        with httpx.Client(base_url=base, timeout=10.0) as c:
            ok = c.post(
                "/chat/completions", json=body, headers={"Authorization": "Bearer sk-from-file"}
            )
            denied = c.post("/chat/completions", json=body, headers={"Authorization": "Bearer x"})
        assert ok.json()["model"] == "google/gemini-3.1-pro-preview"
        assert denied.status_code == 401
    finally:
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=STARTUP_TIMEOUT_S)
    assert proc.returncode == 0
    assert f"openrouter-sim listening on http://127.0.0.1:{port}/api/v1" in err
    assert "sk-from-file" not in err


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        pytest.param(["--shift-every", "0"], "--shift-every", id="zero-shift"),
        pytest.param(["--latency-ms", "-5"], "--latency-ms", id="negative-latency"),
        pytest.param(["--api-key-file", "/nonexistent/key"], "--api-key-file", id="missing-key"),
        pytest.param(["--port", "70000"], "--port", id="port-out-of-range"),
    ],
)
def test_bad_flags_exit_2_naming_the_flag(args: list[str], flag: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "openrouter_sim", "serve", *args],
        capture_output=True,
        text=True,
        timeout=STARTUP_TIMEOUT_S,
    )
    assert result.returncode == 2
    assert flag in result.stderr
