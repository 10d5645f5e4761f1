"""Installing the benchmark's tools on this kind of machine (Debian, root), each only once.

* nginx + the echo module + h2load: Debian packages (one ``apt-get update`` first).
* Portkey gateway: npm, into .tools/portkey.
* LiteLLM proxy: its own venv in .tools/litellm-venv (it pins many packages; never the
  project's .venv).
* ghz: ``go install`` into .tools/bin when Go is present (optional: the run goes on without).
Versions are pinned so that runs on different days compare the same peers.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

from benchmarks import mock_upstream

log = logging.getLogger(__name__)

APT_PACKAGES = ("nginx-light", "libnginx-mod-http-echo", "nghttp2-client")
PORTKEY_VERSION = "1.15.2"
LITELLM_VERSION = "1.108.7"
PY_SPY_VERSION = "0.4.3"
# Libraries for the reference-server experiments that the project does not depend on,
# installed with `pip --target` beside the project, never into its .venv; put on PYTHONPATH
# per process (aiohttp and uvloop are the router's own dependencies now).
EXPERIMENT_LIBS = {"httpx_aiohttp": "httpx-aiohttp==0.2.0"}
GHZ_MODULE = "github.com/bojand/ghz/cmd/ghz@v0.121.0"


def _run(argv: list[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> None:
    log.info("install: %s", " ".join(argv))
    subprocess.run(argv, cwd=cwd, check=True, env={**os.environ, **(env or {})}, timeout=900)


def install_native() -> None:
    if shutil.which("h2load") and shutil.which("nginx") and mock_upstream.ECHO_MODULE.exists():
        return
    env = {"DEBIAN_FRONTEND": "noninteractive"}
    _run(["apt-get", "update", "-qq"], env=env)
    _run(["apt-get", "install", "-y", "-qq", *APT_PACKAGES], env=env)


def install_portkey(tools_dir: Path) -> None:
    prefix = tools_dir / "portkey"
    pkg = prefix / "node_modules" / "@portkey-ai" / "gateway" / "package.json"
    if pkg.exists() and json.loads(pkg.read_text()).get("version") == PORTKEY_VERSION:
        return
    prefix.mkdir(parents=True, exist_ok=True)
    if not (prefix / "package.json").exists():
        (prefix / "package.json").write_text('{"name": "bench-portkey", "private": true}\n')
    _run(
        ["npm", "install", "--no-audit", "--no-fund", f"@portkey-ai/gateway@{PORTKEY_VERSION}"],
        cwd=prefix,
    )


def install_litellm(tools_dir: Path) -> None:
    venv = tools_dir / "litellm-venv"
    python = venv / "bin" / "python"
    if python.exists():
        check = subprocess.run(
            [str(python), "-c", "import importlib.metadata as m; print(m.version('litellm'))"],
            capture_output=True,
            text=True,
            check=False,
        )
        if check.stdout.strip() == LITELLM_VERSION:
            return
    else:
        _run([sys.executable, "-m", "venv", str(venv)])
    _run([str(python), "-m", "pip", "install", "--quiet", f"litellm[proxy]=={LITELLM_VERSION}"])


def install_ghz(tools_dir: Path) -> None:
    if (tools_dir / "bin" / "ghz").exists():
        return
    go = shutil.which("go") or (
        "/usr/local/go/bin/go" if Path("/usr/local/go/bin/go").exists() else None
    )
    if go is None:
        log.warning("Go not found: ghz is skipped (grpc-status is still sampled with a client)")
        return
    (tools_dir / "bin").mkdir(parents=True, exist_ok=True)
    _run([go, "install", GHZ_MODULE], env={"GOBIN": str(tools_dir / "bin")})


def install_py_spy(tools_dir: Path) -> None:
    """py-spy in a small venv of its own (a profiler, not a dependency of the project)."""
    venv = tools_dir / "py-spy-venv"
    if (venv / "bin" / "py-spy").exists():
        return
    _run([sys.executable, "-m", "venv", str(venv)])
    _run(
        [
            str(venv / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "--quiet",
            f"py-spy=={PY_SPY_VERSION}",
        ]
    )


def experiment_lib(tools_dir: Path, name: str) -> Path:
    return tools_dir / "pylib" / name


def install_experiment_libs(tools_dir: Path) -> None:
    for name, spec in EXPERIMENT_LIBS.items():
        target = experiment_lib(tools_dir, name)
        if target.exists():
            continue
        _run([sys.executable, "-m", "pip", "install", "--quiet", "--target", str(target), spec])


def install_all(tools_dir: Path, with_peers: bool, with_profiler: bool) -> None:
    install_native()
    install_experiment_libs(tools_dir)
    if with_profiler:
        install_py_spy(tools_dir)
    install_ghz(tools_dir)
    if with_peers:
        install_portkey(tools_dir)
        install_litellm(tools_dir)
