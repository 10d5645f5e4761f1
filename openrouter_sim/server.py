"""`SimServer`: the simulator as a real HTTP server on loopback, in a background thread."""

from __future__ import annotations

import contextlib
import logging
import socket
import sys
import threading
import time
from collections.abc import Callable
from http.server import ThreadingHTTPServer
from types import TracebackType
from typing import Any

from openrouter_sim.app import SimApp
from openrouter_sim.default_schedule import default_schedule
from openrouter_sim.faults import Fault
from openrouter_sim.frontier import FrontierSchedule, MaxPrice
from openrouter_sim.http_handler import SimRequestHandler, SimServerState
from openrouter_sim.recording import RecordedRequest

logger = logging.getLogger(__name__)

POLL_INTERVAL_S = 0.02  # seconds; how fast serve_forever notices shutdown()
# A client hanging up (e.g. a router aborting a stream) is normal, not a server fault.
CLIENT_DISCONNECTS = (ConnectionResetError, BrokenPipeError, ConnectionAbortedError)


class _SimHTTPServer(ThreadingHTTPServer):
    """Tracks open connections so stop() can close idle keep-alive ones and join threads."""

    daemon_threads = False  # server_close() joins every handler thread
    block_on_close = True
    allow_reuse_address = True
    request_queue_size = 128  # many concurrent httpx connections at once

    def __init__(self, address: tuple[str, int], handler: type[SimRequestHandler]) -> None:
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Called inside the handler's `except`; the default prints a traceback to stderr.
        error = sys.exception()
        if isinstance(error, CLIENT_DISCONNECTS):
            logger.debug("client %s closed the connection: %r", client_address, error)
            return
        super().handle_error(request, client_address)

    def close_connections(self) -> None:
        with self._connections_lock:
            open_now = list(self._connections)
        for conn in open_now:
            # A handler may have closed it already (a reset fault): nothing left to shut.
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


class SimServer:
    """The simulated OpenRouter; starts on `start()` / `__enter__`, stops on `stop()`."""

    def __init__(
        self,
        api_key: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        schedule: FrontierSchedule | None = None,
        shift_every_s: float | None = None,
        clock: Callable[[], float] = time.time,
        latency_s: float = 0.0,
        stream_chunk_delay_s: float = 0.0,
    ) -> None:
        if latency_s < 0 or stream_chunk_delay_s < 0:
            raise ValueError("latency_s and stream_chunk_delay_s must be >= 0 seconds")
        self._address = (host, port)
        self.app = SimApp(
            api_key=api_key,
            schedule=schedule if schedule is not None else default_schedule(),
            shift_every_s=shift_every_s,
            clock=clock,
        )
        self._state = SimServerState(self.app, latency_s, stream_chunk_delay_s)
        self._httpd: _SimHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # lifecycle -----------------------------------------------------------------------------

    def start(self) -> SimServer:
        if self._httpd is not None:
            raise RuntimeError("SimServer already started")
        handler = type("BoundSimRequestHandler", (SimRequestHandler,), {"sim": self._state})
        self._httpd = _SimHTTPServer(self._address, handler)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": POLL_INTERVAL_S},
            name=f"openrouter-sim:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop accepting, close every open connection, join all threads. Idempotent."""
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        self._state.stopping.set()
        httpd.shutdown()
        if self._thread is not None:
            self._thread.join()
        httpd.close_connections()
        httpd.server_close()

    def __enter__(self) -> SimServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # addresses -----------------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("SimServer is not running")
        return int(self._httpd.server_address[1])

    @property
    def host(self) -> str:
        return self._address[0]

    @property
    def url(self) -> str:
        """Root URL, where the /_sim/ control API lives."""
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """The OpenRouter API base URL (use as OPENROUTER_BASE_URL)."""
        return f"{self.url}/api/v1"

    # recorded requests and faults ------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        return self.app.log.snapshot()

    def clear_requests(self) -> None:
        self.app.log.clear()

    def inject(self, fault: Fault) -> None:
        self.app.faults.push(fault)

    def clear_faults(self) -> None:
        self.app.faults.clear()

    # frontier --------------------------------------------------------------------------------

    @property
    def schedule(self) -> FrontierSchedule:
        return self.app.resolver.schedule

    def resolve(
        self,
        min_coding_score: float | None = None,
        nitro: bool = False,
        session_id: str | None = None,
        max_price: MaxPrice | None = None,
    ) -> str:
        """The concrete model a Pareto request would get now (records no session)."""
        return self.app.resolver.resolve(
            min_coding_score,
            nitro=nitro,
            session_id=session_id,
            max_price=max_price,
            commit=False,
        ).model.id

    def epoch_index(self) -> int:
        return self.app.resolver.epoch_index()

    def pin_epoch(self, index: int | None) -> None:
        """Hold the frontier at one epoch (None: follow the schedule again)."""
        self.app.resolver.pin_epoch(index)

    def state(self) -> dict[str, Any]:
        """The same JSON as GET /_sim/state."""
        return self.app.state_json()
