"""A one-off upstream that records the JSON body a gateway sends, to check the plugin body.

Each gateway is pointed at it for one request before its measurements; the `plugins` field
it forwarded is kept in results.json (`checks.upstream_plugins`), so the runs can show that
the router, LiteLLM (config `extra_body`) and Portkey (body pass-through) all send the same
`[{"id": "pareto-router", "min_coding_score": 0.5}]` to the upstream.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from benchmarks import mock_upstream


class _Handler(BaseHTTPRequestHandler):
    server: CaptureServer

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length)
        try:
            self.server.bodies.append(json.loads(raw))
        except ValueError:
            self.server.bodies.append({"unparsable": raw[:200].decode("utf-8", "replace")})
        answer = json.dumps(mock_upstream.COMPLETION).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: Any) -> None:
        # Quiet: the runner's own log says what was captured.
        return


class CaptureServer(ThreadingHTTPServer):
    bodies: list[dict[str, Any]]


@contextlib.contextmanager
def capture() -> Iterator[CaptureServer]:
    """A capture server on 127.0.0.1 (port from the kernel) for the block's duration."""
    server = CaptureServer(("127.0.0.1", 0), _Handler)
    server.bodies = []
    thread = threading.Thread(target=server.serve_forever, name="body-capture", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def base_url(server: CaptureServer) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}/api/v1"


def plugins_seen(server: CaptureServer) -> object:
    """The `plugins` field of the last body received (None when absent or nothing came)."""
    if not server.bodies:
        return "no request received"
    return server.bodies[-1].get("plugins")
