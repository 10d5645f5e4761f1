"""`telemetry-service` command line: serve, query, migrate (and drift when installed)."""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import signal
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from urllib.parse import urlsplit

from clickhouse_connect.driver.exceptions import ClickHouseError

from telemetry_service import migrate, query_cli
from telemetry_service.config import Settings, SettingsError, load_settings, redact_url
from telemetry_service.logging_setup import configure_logging
from telemetry_service.server import TelemetryApp, _optional_module
from telemetry_service.store import Store, StoreOpenError

PROG = "telemetry-service"
EXIT_FAILURE = 1
EXIT_CONFIG = 2
# Collector thresholds while serving: mapping an export allocates ~100 container objects per
# span (rows, attribute dicts), almost all alive until their batch is inserted, so the default
# (700, 10, 10) runs a young collection every few spans and rescans the same pending rows.
# 50,000 allocations per young collection measured ~10 % less service CPU per ingested span
# end to end (6.4k -> 7.0k spans per CPU-second, benchmarks/ingest_profile.py e2e).
SERVE_GC_THRESHOLDS = (50_000, 20, 20)


def tune_gc_for_serving() -> None:
    """Move the start-up objects out of the collector's sight and collect less often."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*SERVE_GC_THRESHOLDS)


def _settings(environ: Mapping[str, str], overrides: dict[str, str | None]) -> Settings:
    """Settings from the environment, with CLI flags taking the place of their variables."""
    merged = dict(environ)
    merged.update({k: v for k, v in overrides.items() if v is not None})
    return load_settings(merged)


def write_port_file(path: str, port: int) -> None:
    """Written atomically (rename) so a watcher never reads a half-written port."""
    tmp = Path(path + ".tmp")
    tmp.write_text(f"{port}\n")
    tmp.replace(path)


async def _serve(settings: Settings, port_file: str | None) -> int:
    app = TelemetryApp(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        port = await app.start()
        tune_gc_for_serving()
        if port_file:
            write_port_file(port_file, port)
        await stop.wait()
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
        await app.stop()
    return 0


def run_serve(args: argparse.Namespace) -> int:
    settings = _settings(
        args.environ,
        {
            "TELEMETRY_LISTEN_ADDR": args.listen,
            "CLICKHOUSE_URL": args.clickhouse_url,
            "TELEMETRY_DATA_DIR": args.data_dir,
            "TELEMETRY_LOG_FORMAT": args.log_format,
        },
    )
    configure_logging(settings.log_format)
    try:
        return asyncio.run(_serve(settings, args.port_file))
    except ClickHouseError as exc:  # opened, then failed (e.g. the migrations' first query)
        raise StoreOpenError(store_failure(settings.clickhouse_url, exc)) from exc


def store_failure(url: str, exc: Exception) -> str:
    """One line on a store failure: the redacted URL and the error, password removed."""
    password = urlsplit(url).password
    detail = " ".join(str(exc).split())
    if password:
        detail = detail.replace(password, "***")
    return f"ClickHouse at {redact_url(url)} failed: {type(exc).__name__}: {detail}"


def run_migrate(args: argparse.Namespace) -> int:
    settings = _settings(
        args.environ, {"CLICKHOUSE_URL": args.clickhouse_url, "TELEMETRY_CLUSTER": args.cluster}
    )
    steps = migrate.plan(
        migrate.load_migrations(),
        migrate.ttl_params(settings.raw_ttl_days, settings.selections_ttl_days),
        settings.cluster,
    )
    if args.print:
        for migration, statements in steps:
            print(f"-- {migration.version:04d}_{migration.name}")
            for statement in statements:
                print(f"{statement};\n")
        return 0
    configure_logging(settings.log_format)
    store = Store.open(settings.clickhouse_url)
    try:
        applied = migrate.apply_migrations(
            store.command_sync, lambda sql: store.query_sync(sql).rows, steps
        )
    finally:
        store.close()
    print(f"applied {len(applied)} migration(s): {applied}", file=sys.stderr)
    return 0


def build_parser(environ: Mapping[str, str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description="Selection telemetry service")
    parser.set_defaults(environ=dict(environ), func=None)
    sub = parser.add_subparsers(dest="command")

    serve = sub.add_parser("serve", help="run the OTLP receiver and query service")
    serve.add_argument("--listen", help="HOST:PORT (TELEMETRY_LISTEN_ADDR; port 0 = any free)")
    serve.add_argument("--clickhouse-url", help="chdb:///path or http(s)://... (CLICKHOUSE_URL)")
    serve.add_argument("--data-dir", help="directory of the embedded engine (TELEMETRY_DATA_DIR)")
    serve.add_argument("--port-file", help="write the bound port to this file once serving")
    serve.add_argument("--log-format", choices=("text", "json"), help="TELEMETRY_LOG_FORMAT")
    serve.set_defaults(func=run_serve)

    query_cli.add_parser(sub)

    mig = sub.add_parser("migrate", help="apply (or --print) the schema migrations")
    mig.add_argument("--print", action="store_true", help="print the DDL, touch no database")
    mig.add_argument("--cluster", help="cluster name for ON CLUSTER DDL (TELEMETRY_CLUSTER)")
    mig.add_argument("--clickhouse-url", help="chdb:///path or http(s)://... (CLICKHOUSE_URL)")
    mig.set_defaults(func=run_migrate)

    drift_cli = _optional_module("telemetry_service.drift.cli")
    if drift_cli is not None:
        drift_cli.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    env = os.environ if environ is None else environ
    parser = build_parser(env)
    args = parser.parse_args(argv)
    if args.func is None:
        parser.print_help(sys.stderr)
        return EXIT_CONFIG
    try:
        return int(args.func(args) or 0)
    except SettingsError as exc:
        print(f"{PROG}: invalid configuration: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except StoreOpenError as exc:
        # The store's address comes from CLICKHOUSE_URL (or --clickhouse-url / --data-dir).
        print(f"{PROG}: CLICKHOUSE_URL: {exc}", file=sys.stderr)
        return EXIT_FAILURE


if __name__ == "__main__":
    sys.exit(main())
