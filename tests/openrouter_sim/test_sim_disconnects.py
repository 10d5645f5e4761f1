"""A client hanging up is normal: logged at DEBUG, never a traceback on stderr."""

from __future__ import annotations

import json
import logging
import socket
import struct
import threading
import time

import pytest
from sim_support import API_KEY, chat_body

from openrouter_sim import SimServer
from openrouter_sim.http_handler import SimRequestHandler
from openrouter_sim.server import _SimHTTPServer

RECV_TIMEOUT_S = 10.0
WAIT_S = 10.0  # upper bound for the handler thread to notice the reset on a busy machine


def wait_for_handlers_to_finish() -> None:
    """Stopping first would close the connection before the simulator sees the reset."""
    deadline = time.monotonic() + WAIT_S
    while any("process_request_thread" in t.name for t in threading.enumerate()):
        assert time.monotonic() < deadline, "the handler never noticed the reset"
        time.sleep(0.01)


def stream_request(body: bytes) -> bytes:
    head = (
        "POST /api/v1/chat/completions HTTP/1.1\r\n"
        "Host: 127.0.0.1\r\n"
        f"Authorization: Bearer {API_KEY}\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def read_until_done(sock: socket.socket) -> None:
    """Read the streamed reply up to its [DONE] event (the server then awaits a next request)."""
    received = b""
    while b"[DONE]" not in received:
        piece = sock.recv(65536)
        assert piece, "the simulator closed before [DONE]"
        received += piece


def reset(sock: socket.socket) -> None:
    """Close with SO_LINGER 0: the simulator sees a TCP RST (ConnectionResetError)."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


@pytest.mark.parametrize(
    "chunk_delay_s, wait_for_done",
    [
        pytest.param(0.0, True, id="reset-while-awaiting-the-next-request"),
        pytest.param(0.05, False, id="reset-mid-stream"),
    ],
)
def test_client_reset_is_logged_at_debug_without_a_traceback(
    chunk_delay_s: float,
    wait_for_done: bool,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="openrouter_sim")
    body = json.dumps(chat_body(stream=True)).encode()
    with SimServer(api_key=API_KEY, stream_chunk_delay_s=chunk_delay_s) as sim:
        sock = socket.create_connection(("127.0.0.1", sim.port), timeout=RECV_TIMEOUT_S)
        sock.sendall(stream_request(body))
        if wait_for_done:
            read_until_done(sock)
        else:
            assert sock.recv(64)
        reset(sock)
        wait_for_handlers_to_finish()
    # stop() joined every handler thread, so whatever they printed is in capsys now.
    err = capsys.readouterr().err
    assert "Traceback" not in err and "Exception occurred" not in err
    assert any(
        r.levelno == logging.DEBUG and "connection" in r.getMessage().lower()
        for r in caplog.records
    )


@pytest.mark.parametrize(
    "error",
    [
        pytest.param(ConnectionResetError(104, "reset"), id="reset"),
        pytest.param(BrokenPipeError(32, "broken pipe"), id="broken-pipe"),
        pytest.param(ConnectionAbortedError(103, "aborted"), id="aborted"),
    ],
)
def test_handle_error_treats_client_disconnects_as_normal(
    error: OSError, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="openrouter_sim")
    httpd = _SimHTTPServer(("127.0.0.1", 0), SimRequestHandler)
    try:
        try:
            raise error
        except OSError:
            httpd.handle_error(None, ("127.0.0.1", 1))
    finally:
        httpd.server_close()
    assert capsys.readouterr().err == ""
    assert [r.levelno for r in caplog.records] == [logging.DEBUG]


def test_handle_error_still_reports_other_failures(capsys: pytest.CaptureFixture[str]) -> None:
    httpd = _SimHTTPServer(("127.0.0.1", 0), SimRequestHandler)
    try:
        try:
            raise ValueError("a bug in a handler")
        except ValueError:
            httpd.handle_error(None, ("127.0.0.1", 1))
    finally:
        httpd.server_close()
    assert "ValueError: a bug in a handler" in capsys.readouterr().err
