"""`router-service`: serve the RouterService, check the configuration, or probe health.

Flags mirror environment variables (a flag wins over its variable). Configuration
errors print one line naming the variable (or file and key) and exit with code 2.
`health` asks a running server's grpc.health.v1 service (exit 0 only when SERVING).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from router_service.config import ConfigError, Settings, load_settings
from router_service.tiers import TierTable, load_tier_table

EXIT_CONFIG_ERROR = 2

# flag dest -> environment variable it overrides
FLAG_ENV: dict[str, str] = {
    "listen": "ROUTER_LISTEN_ADDR",
    "workers": "ROUTER_WORKERS",
    "config_dir": "ROUTER_CONFIG_DIR",
    "base_url": "OPENROUTER_BASE_URL",
    "api_key_file": "OPENROUTER_API_KEY_FILE",
    "max_concurrency": "ROUTER_MAX_CONCURRENCY",
    "max_attempts": "ROUTER_MAX_ATTEMPTS",
    "max_message_bytes": "ROUTER_MAX_MESSAGE_BYTES",
    "drain_seconds": "ROUTER_DRAIN_SECONDS",
    "tls_cert_file": "ROUTER_TLS_CERT_FILE",
    "tls_key_file": "ROUTER_TLS_KEY_FILE",
    "log_format": "ROUTER_LOG_FORMAT",
    "log_level": "ROUTER_LOG_LEVEL",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="router-service", description="gRPC seat router for LLM councils on OpenRouter."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    for name, text in (
        ("serve", "serve RouterService, health and reflection until SIGTERM/SIGINT"),
        ("check-config", "validate the environment and the tier/registry files, then exit"),
    ):
        sub = commands.add_parser(name, help=text, description=text)
        sub.add_argument("--listen", metavar="HOST:PORT", help="ROUTER_LISTEN_ADDR; port 0 = any")
        sub.add_argument("--workers", metavar="N", help="ROUTER_WORKERS (default: CPU count)")
        sub.add_argument("--config-dir", metavar="DIR", help="ROUTER_CONFIG_DIR")
        sub.add_argument("--base-url", metavar="URL", help="OPENROUTER_BASE_URL")
        sub.add_argument("--api-key-file", metavar="FILE", help="OPENROUTER_API_KEY_FILE")
        sub.add_argument("--max-concurrency", metavar="N", help="ROUTER_MAX_CONCURRENCY")
        sub.add_argument("--max-attempts", metavar="N", help="ROUTER_MAX_ATTEMPTS")
        sub.add_argument("--max-message-bytes", metavar="N", help="ROUTER_MAX_MESSAGE_BYTES")
        sub.add_argument("--drain-seconds", metavar="S", help="ROUTER_DRAIN_SECONDS")
        sub.add_argument("--tls-cert-file", metavar="FILE", help="ROUTER_TLS_CERT_FILE")
        sub.add_argument("--tls-key-file", metavar="FILE", help="ROUTER_TLS_KEY_FILE")
        sub.add_argument("--log-format", choices=("text", "json"), help="ROUTER_LOG_FORMAT")
        sub.add_argument(
            "--log-level", choices=("debug", "info", "warning", "error"), help="ROUTER_LOG_LEVEL"
        )
        sub.add_argument(
            "--capture-content",
            action="store_true",
            help="ROUTER_CAPTURE_CONTENT=true: record message content in spans",
        )
        sub.add_argument(
            "--port-file",
            metavar="FILE",
            type=Path,
            help="write the bound port here once listening",
        )
    _add_health_parser(commands)
    return parser


def _add_health_parser(commands: Any) -> None:
    text = "ask a running server's grpc.health.v1.Health/Check; exit 0 only when SERVING"
    sub = commands.add_parser("health", help=text, description=text)
    sub.add_argument(
        "--addr",
        metavar="HOST:PORT",
        help="server to ask (default: ROUTER_LISTEN_ADDR, wildcard hosts as loopback)",
    )
    sub.add_argument("--service", default="", metavar="NAME", help="service name ('' = server)")
    sub.add_argument("--timeout", metavar="S", help="seconds for the whole check (default 3)")
    sub.add_argument("--tls", action="store_true", help="use TLS with the system trust roots")
    sub.add_argument(
        "--ca-file", metavar="FILE", type=Path, help="TLS with this CA (implies --tls)"
    )
    sub.add_argument("--server-name", metavar="NAME", help="TLS: name the certificate must carry")


def _health(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    from router_service import health_check

    try:
        probe = health_check.build_probe(
            addr=args.addr,
            service=args.service,
            timeout=args.timeout,
            tls=args.tls,
            ca_file=args.ca_file,
            server_name=args.server_name,
            environ=environ,
        )
    except ConfigError as error:
        print(f"router-service health: {error}", file=sys.stderr)
        return EXIT_CONFIG_ERROR
    return health_check.run(probe)


def effective_environ(args: argparse.Namespace, environ: Mapping[str, str]) -> dict[str, str]:
    """The environment with flag values laid over it."""
    merged = dict(environ)
    for dest, name in FLAG_ENV.items():
        value = getattr(args, dest, None)
        if value is not None:
            merged[name] = str(value)
    if args.api_key_file is not None:
        # An explicit key file replaces a key from the environment.
        merged.pop("OPENROUTER_API_KEY", None)
    if args.capture_content:
        merged["ROUTER_CAPTURE_CONTENT"] = "true"
    return merged


def load_all(environ: Mapping[str, str]) -> tuple[Settings, TierTable]:
    settings = load_settings(environ)
    return settings, load_tier_table(settings.config_dir)


def _serve(settings: Settings, tiers: TierTable, port_file: Path | None) -> int:
    from router_service import event_loop
    from router_service.runner import configure_logging, serve
    from router_service.workers import run_workers

    configure_logging(settings)
    if settings.workers == 1:
        event_loop.run(serve(settings, tiers=tiers, port_file=port_file), settings.event_loop)
        return 0
    return run_workers(settings, port_file=port_file)


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "health":
        # Needs no API key: only where the server listens.
        return _health(args, os.environ if environ is None else environ)
    try:
        settings, tiers = load_all(
            effective_environ(args, os.environ if environ is None else environ)
        )
    except ConfigError as error:
        print(f"router-service: configuration error: {error}", file=sys.stderr)
        return EXIT_CONFIG_ERROR
    if args.command == "check-config":
        print(
            f"router-service: configuration OK ({len(tiers.tiers)} tiers, "
            f"upstream {settings.upstream_host})",
            file=sys.stderr,
        )
        return 0
    try:
        return _serve(settings, tiers, args.port_file)
    except ConfigError as error:
        print(f"router-service: configuration error: {error}", file=sys.stderr)
        return EXIT_CONFIG_ERROR
    except (OSError, RuntimeError) as error:
        # RuntimeError: grpc's "Failed to bind"; OSError: the port reservation of workers.
        print(f"router-service: cannot listen on {settings.listen_addr}: {error}", file=sys.stderr)
        return 1
