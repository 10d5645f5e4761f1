"""`openrouter-sim serve`: run the simulator until SIGTERM or SIGINT."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from openrouter_sim.server import SimServer

logger = logging.getLogger("openrouter_sim")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="openrouter-sim", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the simulated OpenRouter API over HTTP")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=0, help="port to bind; 0 picks a free one")
    serve.add_argument("--port-file", type=Path, help="write the bound port to this file")
    serve.add_argument(
        "--shift-every",
        type=float,
        metavar="SECONDS",
        help="move the frontier to the next epoch every SECONDS (default: never)",
    )
    serve.add_argument(
        "--api-key-file",
        type=Path,
        help="accept only the key in this file (default: any bearer token)",
    )
    serve.add_argument(
        "--latency-ms", type=float, default=0.0, help="delay before each answer, milliseconds"
    )
    serve.add_argument(
        "--stream-chunk-delay-ms",
        type=float,
        default=0.0,
        help="delay between SSE events, milliseconds",
    )
    serve.add_argument("--log-level", default="INFO", help="logging level (default INFO)")
    return parser


def _read_api_key(parser: argparse.ArgumentParser, path: Path | None) -> str | None:
    if path is None:
        return None
    try:
        key = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        parser.error(f"--api-key-file: cannot read {path}: {exc.strerror}")
    if not key:
        parser.error(f"--api-key-file: {path} is empty")
    return key


def _write_port_file(path: Path, port: int) -> None:
    # Write then rename so a watcher never reads a half-written file.
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(f"{port}\n", encoding="utf-8")
    os.replace(tmp, path)


def serve(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    if args.shift_every is not None and args.shift_every <= 0:
        parser.error("--shift-every: must be > 0 seconds")
    if args.latency_ms < 0:
        parser.error("--latency-ms: must be >= 0")
    if args.stream_chunk_delay_ms < 0:
        parser.error("--stream-chunk-delay-ms: must be >= 0")
    if not 0 <= args.port <= 65535:
        parser.error("--port: must be in 0..65535")
    api_key = _read_api_key(parser, args.api_key_file)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        logger.info("received signal %d, stopping", signum)
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    sim = SimServer(
        api_key=api_key,
        host=args.host,
        port=args.port,
        shift_every_s=args.shift_every,
        latency_s=args.latency_ms / 1000,
        stream_chunk_delay_s=args.stream_chunk_delay_ms / 1000,
    )
    try:
        sim.start()
    except OSError as exc:
        logger.error("openrouter-sim: cannot bind %s:%d: %s", args.host, args.port, exc.strerror)
        return 1
    try:
        if args.port_file is not None:
            _write_port_file(args.port_file, sim.port)
        logger.info("openrouter-sim listening on %s", sim.base_url)
        stop.wait()
    finally:
        sim.stop()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    logger.info("openrouter-sim stopped")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    level = getattr(logging, str(args.log_level).upper(), None)
    if not isinstance(level, int):
        parser.error(f"--log-level: unknown level {args.log_level!r}")
    logging.basicConfig(level=level, format="%(message)s")
    return serve(args, parser)


if __name__ == "__main__":
    raise SystemExit(main())
