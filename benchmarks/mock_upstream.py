"""The native upstream mock: nginx with the echo module answering OpenRouter's JSON shape.

Two servers share one nginx worker: ``fast`` answers at once, ``slow`` after 20 ms
(``echo_sleep 0.02``). Each listens twice, HTTP/1.1 and cleartext HTTP/2 (prior knowledge),
so the direct-call baseline can use the same protocol as each gateway's client side.
"""

from __future__ import annotations

import json
import shutil
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from benchmarks import processes

ECHO_MODULE = Path("/usr/lib/nginx/modules/ngx_http_echo_module.so")
SLOW_DELAY_S = 0.02

# The same body as an OpenRouter non-streaming answer for the Pareto seat, with usage, cost
# and routing metadata so that every gateway parses a realistic document.
COMPLETION: dict[str, object] = {
    "id": "gen-bench-0000000001",
    "object": "chat.completion",
    "created": 1764201600,
    "model": "qwen/qwen3-coder",
    "provider": "Chutes",
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "def add(a, b): return a + b"},
            "finish_reason": "stop",
            "native_finish_reason": "stop",
        }
    ],
    "usage": {
        "prompt_tokens": 42,
        "completion_tokens": 17,
        "total_tokens": 59,
        "cost": 0.0000123,
        "prompt_tokens_details": {"cached_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 0},
    },
    "openrouter_metadata": {
        "strategy": "pareto",
        "attempt": 1,
        "requested": "openrouter/pareto-code",
        "endpoints": {
            "total": 3,
            "available": [
                {"model": "qwen/qwen3-coder", "provider": "Chutes", "selected": True},
                {"model": "qwen/qwen3-coder", "provider": "DeepInfra", "selected": False},
                {"model": "mistralai/devstral-medium", "provider": "Mistral", "selected": False},
            ],
        },
        "summary": "pareto: medium band, cheapest of 3",
        "region": "bench",
        "is_byok": False,
    },
}


@dataclass(frozen=True)
class MockPorts:
    fast_h1: int
    fast_h2c: int
    slow_h1: int
    slow_h2c: int


def render_config(work_dir: Path, ports: MockPorts) -> str:
    """nginx.conf for the mock; pure so it can be read and checked without nginx."""
    body = json.dumps(COMPLETION, separators=(",", ":"))
    # nginx expands $variables and backslash escapes inside quoted strings.
    if any(ch in body for ch in "'$\\"):
        raise ValueError("the mock body must not contain ', $ or a backslash (nginx string syntax)")

    def server(h1: int, h2c: int, delay: str) -> str:
        return f"""
    server {{
        listen 127.0.0.1:{h1} reuseport backlog=4096;
        listen 127.0.0.1:{h2c} http2 reuseport backlog=4096;
        location = /_status {{ stub_status; }}
        location / {{
            default_type application/json;
            {delay}
            echo -n '{body}';
        }}
    }}"""

    return f"""load_module {ECHO_MODULE};
daemon off;
master_process off;
worker_processes 1;
pid {work_dir}/nginx.pid;
error_log {work_dir}/nginx-error.log warn;
events {{ worker_connections 8192; multi_accept on; }}
http {{
    access_log off;
    client_body_temp_path {work_dir}/client_body;
    proxy_temp_path {work_dir}/proxy;
    fastcgi_temp_path {work_dir}/fastcgi;
    uwsgi_temp_path {work_dir}/uwsgi;
    scgi_temp_path {work_dir}/scgi;
    keepalive_requests 10000000;
    keepalive_timeout 300s;
    client_body_buffer_size 64k;
{server(ports.fast_h1, ports.fast_h2c, "")}
{server(ports.slow_h1, ports.slow_h2c, f"echo_sleep {SLOW_DELAY_S};")}
}}
"""


@dataclass
class Mock:
    service: processes.Service
    ports: MockPorts

    def base_url(self, slow: bool) -> str:
        """OpenRouter-style base URL (append /chat/completions)."""
        port = self.ports.slow_h1 if slow else self.ports.fast_h1
        return f"http://127.0.0.1:{port}/api/v1"

    def requests_served(self) -> int:
        """nginx's own request counter (stub_status), both servers together."""
        with urllib.request.urlopen(
            f"http://127.0.0.1:{self.ports.fast_h1}/_status", timeout=5
        ) as r:
            lines = r.read().decode().splitlines()
        # Line 3 is "accepts handled requests"; the status request itself is counted too.
        return int(lines[2].split()[2])


def start_mock(work_dir: Path, log_dir: Path) -> Mock:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    ports = MockPorts(
        processes.free_port(), processes.free_port(), processes.free_port(), processes.free_port()
    )
    work_dir.mkdir(parents=True, exist_ok=True)
    conf = work_dir / "nginx.conf"
    conf.write_text(render_config(work_dir, ports))
    service = processes.start("nginx-mock", [nginx, "-c", str(conf), "-p", str(work_dir)], log_dir)
    for port in (ports.fast_h1, ports.fast_h2c, ports.slow_h1, ports.slow_h2c):
        processes.wait_for_port(port, 10, service.proc)
    return Mock(service=service, ports=ports)
