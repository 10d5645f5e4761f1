"""The peer gateways measured beside the router: LiteLLM proxy and the Portkey gateway.

Both are installed apart from the project: LiteLLM into its own venv (it pins many packages),
Portkey with npm into .tools/portkey. Each routes to the same nginx mock as the router.
"""

from __future__ import annotations

import json
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from benchmarks import payloads, processes

BENCH_KEY = "sk-bench-not-a-secret"
LITELLM_FAST_MODEL = "bench/pareto-fast"
LITELLM_SLOW_MODEL = "bench/pareto-slow"
LITELLM_CAPTURE_MODEL = "bench/pareto-capture"


@dataclass(frozen=True)
class ToolPaths:
    litellm: Path
    portkey_start: Path
    node: str


def tool_paths(tools_dir: Path) -> ToolPaths:
    return ToolPaths(
        litellm=tools_dir / "litellm-venv" / "bin" / "litellm",
        portkey_start=tools_dir
        / "portkey"
        / "node_modules"
        / "@portkey-ai"
        / "gateway"
        / "build"
        / "start-server.js",
        node="node",
    )


def litellm_config(
    fast_base_url: str, slow_base_url: str, capture_base_url: str
) -> dict[str, object]:
    """LiteLLM proxy config: OpenAI route to the mock, plugin body injected via extra_body."""

    def entry(name: str, base_url: str) -> dict[str, object]:
        return {
            "model_name": name,
            "litellm_params": {
                "model": f"openai/{payloads.PARETO_MODEL}",
                "api_base": base_url,
                "api_key": BENCH_KEY,
                "extra_body": {"plugins": [payloads.PLUGIN]},
            },
        }

    return {
        "model_list": [
            entry(LITELLM_FAST_MODEL, fast_base_url),
            entry(LITELLM_SLOW_MODEL, slow_base_url),
            entry(LITELLM_CAPTURE_MODEL, capture_base_url),
        ],
        "litellm_settings": {"set_verbose": False, "telemetry": False, "drop_params": True},
        "general_settings": {},
    }


def litellm_body(model: str) -> dict[str, object]:
    body = payloads.chat_body(with_plugin=False)
    body["model"] = model
    return body


def start_litellm(
    paths: ToolPaths,
    fast_base_url: str,
    slow_base_url: str,
    work_dir: Path,
    log_dir: Path,
    workers: int,
    master_key: str,
    capture_base_url: str,
) -> tuple[processes.Service, int]:
    """Start the LiteLLM proxy with ``workers`` uvicorn workers; clients send ``master_key``."""
    config = work_dir / "litellm.yaml"
    # JSON is valid YAML, and needs no YAML writer here.
    config.write_text(
        json.dumps(litellm_config(fast_base_url, slow_base_url, capture_base_url), indent=2)
    )
    port = processes.free_port()
    env = {
        # Use the cost map shipped in the package instead of fetching it at start.
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        "LITELLM_LOG": "ERROR",
        "LITELLM_TELEMETRY": "False",
        "DISABLE_ADMIN_UI": "True",
        "NO_DOCS": "True",
        # The proxy refuses to start without one; requests authenticate with it.
        "LITELLM_MASTER_KEY": master_key,
    }
    argv = [
        str(paths.litellm),
        "--config",
        str(config),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--num_workers",
        str(workers),
    ]
    service = processes.start("litellm", argv, log_dir, env=env, cwd=work_dir)
    processes.wait_for_port(port, 120, service.proc)
    return service, port


def start_portkey(paths: ToolPaths, log_dir: Path) -> tuple[processes.Service, int]:
    port = processes.free_port()
    # The Node build binds every interface and has no host option; only 127.0.0.1 is loaded.
    argv = [paths.node, str(paths.portkey_start), f"--port={port}", "--headless"]
    env = {"NODE_ENV": "production"}
    service = processes.start("portkey", argv, log_dir, env=env)
    processes.wait_for_port(port, 60, service.proc)
    return service, port


def portkey_headers(custom_host: str) -> tuple[str, ...]:
    """Headers that point Portkey's OpenAI provider at the mock (custom host)."""
    return (
        "content-type: application/json",
        f"authorization: Bearer {BENCH_KEY}",
        "x-portkey-provider: openai",
        f"x-portkey-custom-host: {custom_host}",
    )


def json_text(body: dict[str, object]) -> str:
    return json.dumps(body, separators=(",", ":"))


def post_json(url: str, body: dict[str, object], headers: tuple[str, ...]) -> int:
    """One POST (for the body check); returns the HTTP status."""
    request = urllib.request.Request(url, data=json_text(body).encode(), method="POST")
    for header in headers:
        name, _, value = header.partition(":")
        request.add_header(name.strip(), value.strip())
    with urllib.request.urlopen(request, timeout=30) as response:
        return int(response.status)
