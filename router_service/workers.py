"""N worker processes serving one port with SO_REUSEPORT (the kernel spreads connections).

The parent binds the port first (so port 0 resolves to one concrete port all workers
share), starts the workers with the `spawn` method (gRPC does not survive fork), waits
until each reports ready, then announces and writes the port file. SIGTERM/SIGINT are
forwarded to the workers, which drain on their own.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import multiprocessing
import queue
import signal
import socket
import time
from multiprocessing.connection import wait
from pathlib import Path
from types import FrameType

from router_service import event_loop
from router_service.config import Settings
from router_service.runner import configure_logging, listening_message, serve, write_port_file
from router_service.tiers import load_tier_table

log = logging.getLogger("router_service")

# Seconds a worker may take to start serving.
READY_TIMEOUT_S = 60.0
# Seconds beyond the drain period before a worker is killed.
STOP_MARGIN_S = 5.0


def reserve_port(host: str, port: int) -> socket.socket:
    """Bind (not listen) a SO_REUSEPORT socket: learns the port and keeps it ours."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def _worker_main(settings: Settings, index: int, ready: multiprocessing.Queue[int]) -> None:
    configure_logging(settings)
    tiers = load_tier_table(settings.config_dir)
    event_loop.run(
        serve(
            settings,
            tiers=tiers,
            reuse_port=True,
            on_ready=lambda port: ready.put(port),
            announce=False,
        ),
        settings.event_loop,
    )


def _stop_all(procs: list[multiprocessing.process.BaseProcess], deadline_s: float) -> None:
    for proc in procs:
        if proc.is_alive() and proc.pid is not None:
            with contextlib.suppress(ProcessLookupError):
                proc.terminate()  # SIGTERM: the worker drains
    end = time.monotonic() + deadline_s
    for proc in procs:
        proc.join(max(0.0, end - time.monotonic()))
        if proc.is_alive():
            log.warning("worker pid %s did not stop in time; killing it", proc.pid)
            proc.kill()
            proc.join()


def run_workers(settings: Settings, *, port_file: Path | None) -> int:
    """Run `settings.workers` processes on one port; return the exit code."""
    reserved = reserve_port(settings.listen_host, settings.listen_port)
    port = reserved.getsockname()[1]
    worker_settings = dataclasses.replace(settings, listen_port=port)
    ctx = multiprocessing.get_context("spawn")
    ready: multiprocessing.Queue[int] = ctx.Queue()
    procs: list[multiprocessing.process.BaseProcess] = [
        ctx.Process(
            target=_worker_main, args=(worker_settings, i, ready), name=f"router-worker-{i}"
        )
        for i in range(settings.workers)
    ]
    stopping = False

    def on_signal(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        for proc in procs:
            proc.start()
        started = 0
        ready_by = time.monotonic() + READY_TIMEOUT_S
        while started < len(procs) and not stopping:
            if any(not p.is_alive() for p in procs) or time.monotonic() > ready_by:
                log.error("a worker failed to start; stopping")
                _stop_all(procs, settings.drain_seconds + STOP_MARGIN_S)
                return 1
            with contextlib.suppress(queue.Empty):
                ready.get(timeout=0.2)
                started += 1
        reserved.close()
        if not stopping:
            log.info("%s", listening_message(settings, port))
            if port_file is not None:
                write_port_file(port_file, port)
        exit_code = 0
        while not stopping:
            wait([p.sentinel for p in procs], timeout=0.5)
            if any(not p.is_alive() for p in procs) and not stopping:
                log.error("a worker exited unexpectedly; stopping the others")
                exit_code = 1
                break
        _stop_all(procs, settings.drain_seconds + STOP_MARGIN_S)
        return exit_code
    finally:
        reserved.close()
        ready.close()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
