"""The example clients under examples/clients/: how to build and run each, and their output.

Every client prints one `key=value` line per field (text values as JSON strings), so
one parser serves the three languages.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = REPO_ROOT / "examples" / "clients"
# A cold build downloads toolchain plugins and dependencies (seconds).
BUILD_TIMEOUT_S = 900.0
# One client call against the local router; JVM start-up included (seconds).
RUN_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class ClientSpec:
    """One example client: the tools it needs on PATH, its build script and its command."""

    name: str
    tools: tuple[str, ...]
    build_script: Path
    command: tuple[str, ...]

    def missing_tool(self) -> str | None:
        return next((tool for tool in self.tools if shutil.which(tool) is None), None)


CLIENTS: tuple[ClientSpec, ...] = (
    ClientSpec(
        name="go",
        tools=("go",),
        build_script=EXAMPLES / "go" / "build.sh",
        command=(str(EXAMPLES / "go" / "bin" / "router-client"),),
    ),
    ClientSpec(
        name="java",
        tools=("java", "mvn"),
        build_script=EXAMPLES / "java" / "build.sh",
        command=("java", "-jar", str(EXAMPLES / "java" / "target" / "router-client.jar")),
    ),
    ClientSpec(
        name="node",
        tools=("node", "npm"),
        build_script=EXAMPLES / "node" / "build.sh",
        command=("node", str(EXAMPLES / "node" / "client.js")),
    ),
)


def build_client(spec: ClientSpec) -> None:
    """Run the example's build script; raise with its output when it fails."""
    # The Go stubs are generated with grpc_tools.protoc from this interpreter's venv.
    env = dict(os.environ, PYTHON=sys.executable)
    result = subprocess.run(
        ["bash", str(spec.build_script)],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT_S,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"{spec.build_script} failed with {result.returncode}:\n"
            f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
        )


@dataclass(frozen=True)
class ClientOutput:
    """What one client run printed, parsed into (key, value) lines."""

    returncode: int
    stdout: str
    stderr: str

    @property
    def lines(self) -> list[tuple[str, str]]:
        pairs = []
        for line in self.stdout.splitlines():
            key, sep, value = line.partition("=")
            if sep:
                pairs.append((key, value))
        return pairs

    def values(self, key: str) -> list[str]:
        return [value for k, value in self.lines if k == key]

    def one(self, key: str) -> str:
        found = self.values(key)
        assert len(found) == 1, f"expected one {key!r} line, got {found!r} in:\n{self.explain()}"
        return found[0]

    def text(self, key: str) -> str:
        """A value the clients print as a JSON string."""
        value = json.loads(self.one(key))
        assert isinstance(value, str)
        return value

    def text_values(self, key: str) -> list[str]:
        return [json.loads(value) for value in self.values(key)]

    def explain(self, server_log: str = "") -> str:
        text = f"exit {self.returncode}\nstdout:\n{self.stdout}\nstderr:\n{self.stderr}"
        return f"{text}\nrouter log (tail):\n{server_log}" if server_log else text


def run_client(spec: ClientSpec, args: Sequence[str]) -> ClientOutput:
    result = subprocess.run(
        [*spec.command, *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
        check=False,
    )
    return ClientOutput(result.returncode, result.stdout, result.stderr)
