"""The HTTP/1.1 wire side: read a request, write a reply, and act out wire-level faults."""

from __future__ import annotations

import logging
import socket
import struct
import threading
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any

from openrouter_sim.app import ChatReply, Reply
from openrouter_sim.responses import (
    SSE_DONE,
    SSE_PROCESSING,
    closing_chunks,
    completion_body,
    delta_chunks,
    error_body,
    json_bytes,
    sse_event,
    stream_error_chunk,
)

if TYPE_CHECKING:
    from openrouter_sim.app import SimApp

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 32 * 1024 * 1024  # larger request bodies get a 413
SLOW_BODY_PIECES = 10  # slow_body trickles a JSON body in this many writes
STREAM_ERROR_CODE = 502
NON_JSON_BODY = (
    b"<html><head><title>502 Bad Gateway</title></head>"
    b"<body><h1>502 Bad Gateway</h1><p>simulated upstream page</p></body></html>"
)


class _Stopped(Exception):
    """The server is stopping: abandon the current response."""


class SimServerState:
    """What handlers share: the app, delays in seconds, and the stop signal."""

    def __init__(self, app: SimApp, latency_s: float, stream_chunk_delay_s: float) -> None:
        self.app = app
        self.latency_s = latency_s
        self.stream_chunk_delay_s = stream_chunk_delay_s
        self.stopping = threading.Event()


class SimRequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: every reply has a length or is chunked
    server_version = "openrouter-sim"
    sys_version = ""
    sim: SimServerState  # set on a subclass made per server

    def log_message(self, format: str, *args: Any) -> None:
        # Only the request line; headers (with the API key) are never logged.
        logger.debug("%s - " + format, self.address_string(), *args)

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        try:
            raw = self._read_body()
            if raw is None:
                return
            headers = {k.lower(): v for k, v in self.headers.items()}
            reply = self.sim.app.handle(self.command, self.path, headers, raw)
            if not self.path.startswith("/_sim/"):
                self._pause(self.sim.latency_s)
            if isinstance(reply, Reply):
                self._send_reply(reply)
            else:
                self._send_chat(reply)
        except (_Stopped, OSError) as exc:
            # The client went away or the server is stopping: drop this connection.
            logger.debug("connection dropped: %r", exc)
            self.close_connection = True

    def _pause(self, seconds: float) -> None:
        if seconds > 0 and self.sim.stopping.wait(seconds):
            raise _Stopped

    def _refuse(self, status: int, message: str) -> None:
        # The rest of the request cannot be framed, so the connection cannot be reused.
        self.close_connection = True
        self._send_reply(Reply(status, json_bytes(error_body(status, message))))

    def _read_body(self) -> bytes | None:
        """The request body, or None after refusing a body that cannot be read."""
        try:
            if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                return self._read_chunked()
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            self._refuse(400, "body: unreadable (bad length, or over 32 MiB)")
            return None
        if length < 0 or length > MAX_BODY_BYTES:
            self._refuse(413 if length > 0 else 400, "body: length out of range")
            return None
        return self.rfile.read(length) if length > 0 else b""

    def _read_chunked(self) -> bytes:
        parts: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline()
            if not line:
                raise ConnectionError("client closed inside a chunked body")
            size = int(line.split(b";")[0].strip(), 16)
            if size == 0:
                # Trailer section ends with an empty line.
                while self.rfile.readline().strip():
                    pass
                return b"".join(parts)
            total += size
            if total > MAX_BODY_BYTES:
                raise ValueError("chunked request body too large")
            parts.append(self.rfile.read(size))
            self.rfile.readline()

    def _start(self, status: int, content_type: str, headers: Iterable[tuple[str, str]]) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()

    def _send_reply(self, reply: Reply) -> None:
        headers = [*reply.headers, ("Content-Length", str(len(reply.body)))]
        self._start(reply.status, reply.content_type, headers)
        self.wfile.write(reply.body)

    def _reset(self) -> None:
        """Close with SO_LINGER 0 so the peer gets a TCP RST instead of a FIN."""
        self.close_connection = True
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.rfile.close()  # drop the makefile reference so close() really closes the fd
        self.connection.close()

    def _send_chat(self, reply: ChatReply) -> None:
        fault = reply.fault
        kind = fault.kind if fault is not None else None
        if kind == "reset" or reply.completion is None:
            self._reset()
            return
        if kind == "slow_headers":
            self._pause(fault.delay_s if fault else 0.0)
        if kind == "non_json":
            self._send_reply(Reply(200, NON_JSON_BODY, "text/html; charset=utf-8", reply.headers))
            return
        if reply.stream and kind != "truncated_json":
            self._send_stream(reply)
            return
        body = json_bytes(completion_body(reply.completion))
        if kind == "truncated_json":
            self._send_reply(Reply(200, body[: len(body) // 2], headers=reply.headers))
            return
        headers = [*reply.headers, ("Content-Length", str(len(body)))]
        self._start(200, "application/json", headers)
        if kind == "reset_mid_body":
            self.wfile.write(body[: len(body) // 2])
            self._reset()
            return
        if kind == "slow_body" and fault is not None:
            step = -(-len(body) // SLOW_BODY_PIECES)
            for offset in range(0, len(body), step):
                self.wfile.write(body[offset : offset + step])
                self._pause(fault.delay_s / SLOW_BODY_PIECES)
            return
        self.wfile.write(body)

    def _write_chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))

    def _send_stream(self, reply: ChatReply) -> None:
        completion = reply.completion
        assert completion is not None
        fault = reply.fault
        kind = fault.kind if fault is not None else None
        headers = [
            *reply.headers,
            ("Cache-Control", "no-cache"),
            ("Transfer-Encoding", "chunked"),
        ]
        self._start(200, "text/event-stream", headers)
        deltas = delta_chunks(completion)
        if kind in ("sse_cut", "stream_error", "reset_mid_body"):
            deltas = deltas[: max(1, len(deltas) // 2)]
        events = [SSE_PROCESSING, SSE_PROCESSING, *(sse_event(d) for d in deltas)]
        if kind == "stream_error" and fault is not None:
            error = stream_error_chunk(completion, STREAM_ERROR_CODE, fault.error_message)
            events += [sse_event(error), SSE_DONE]
        elif kind not in ("sse_cut", "reset_mid_body"):
            events += [*(sse_event(c) for c in closing_chunks(completion)), SSE_DONE]
        delay = self.sim.stream_chunk_delay_s
        if kind == "slow_body" and fault is not None:
            delay = fault.delay_s / max(1, len(events))
        for event in events:
            self._write_chunk(event)
            self._pause(delay)
        if kind == "reset_mid_body":
            self._reset()
            return
        self.wfile.write(b"0\r\n\r\n")
        if kind == "sse_cut":
            # The HTTP message ends cleanly; the SSE stream lacks usage and [DONE].
            self.close_connection = True
