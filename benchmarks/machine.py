"""The machine and software a run measured on, recorded beside its figures."""

from __future__ import annotations

import contextlib
import os
import platform
import subprocess
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from benchmarks.setup_tools import GHZ_MODULE


def _first_line(argv: list[str]) -> str:
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        done = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
        text = (done.stdout or done.stderr).strip()
        return text.splitlines()[0] if text else ""
    return ""


def _all_lines(argv: list[str]) -> list[str]:
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        done = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
        return [line for line in done.stdout.splitlines() if line.strip()]
    return []


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def _mem_total_gib() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return round(int(line.split()[1]) / 1024 / 1024, 1)
    return 0.0


def _dist_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return ""


def _json_field(path: Path, key: str) -> str:
    import json

    with contextlib.suppress(OSError, ValueError):
        return str(json.loads(path.read_text()).get(key, ""))
    return ""


def describe(tools_dir: Path) -> dict[str, object]:
    """Date, CPU, memory, load and the versions of everything measured."""
    litellm_python = tools_dir / "litellm-venv" / "bin" / "python"
    return {
        "date_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "nproc": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "memory_gib": _mem_total_gib(),
        "kernel": platform.release(),
        "uptime": _first_line(["uptime"]),
        "python": platform.python_version(),
        # The tree measured: the last commit, plus whether files differed from it.
        "git_commit": _first_line(
            ["git", "-C", str(tools_dir.parent), "rev-parse", "--short", "HEAD"]
        ),
        "git_changed_files": len(
            _all_lines(["git", "-C", str(tools_dir.parent), "status", "--porcelain"])
        ),
        "versions": {
            "llmcouncil-pareto-router": _dist_version("llmcouncil-pareto-router"),
            "grpcio": _dist_version("grpcio"),
            "protobuf": _dist_version("protobuf"),
            "httpx": _dist_version("httpx"),
            "aiohttp": _dist_version("aiohttp"),
            "httpcore": _dist_version("httpcore"),
            "anyio": _dist_version("anyio"),
            # httpcore imports sniffio on every pool operation; absent means a failing
            # import each time (see docs/benchmarks.md).
            "sniffio": _dist_version("sniffio") or "absent",
            "opentelemetry-sdk": _dist_version("opentelemetry-sdk"),
            "clickhouse-connect": _dist_version("clickhouse-connect"),
            "chdb": _dist_version("chdb"),
            "nginx": _first_line(["nginx", "-v"]),
            "h2load": _first_line(["h2load", "--version"]),
            # `go install` builds report "dev"; the module version is the pinned one.
            "ghz": GHZ_MODULE.rsplit("@", 1)[1] if (tools_dir / "bin" / "ghz").exists() else "",
            "node": _first_line(["node", "--version"]),
            "portkey-gateway": _json_field(
                tools_dir / "portkey/node_modules/@portkey-ai/gateway/package.json", "version"
            ),
            "litellm": _first_line(
                [
                    str(litellm_python),
                    "-c",
                    "import importlib.metadata as m; print(m.version('litellm'))",
                ]
            ),
        },
    }
