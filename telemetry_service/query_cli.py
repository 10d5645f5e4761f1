"""`telemetry-service query`: run read-only SQL through the running service's ExecuteQuery
and print a table or JSON lines."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any, TextIO

import grpc
from llmcouncil.telemetry.v1 import telemetry_service_pb2 as pb
from llmcouncil.telemetry.v1 import telemetry_service_pb2_grpc as pb_grpc

from telemetry_service.query_values import from_value

# A bad option (e.g. an unreadable --ca-file), as for bad configuration elsewhere.
EXIT_USAGE = 2
# Cells wider than this are cut in table output (characters).
MAX_CELL_WIDTH = 60


def _is_integer_type(type_name: str) -> bool:
    return "Int" in type_name and "Interval" not in type_name and "Array" not in type_name


def decode_rows(response: pb.ExecuteQueryResponse) -> list[list[Any]]:
    integer = [_is_integer_type(column.type) for column in response.columns]
    return [
        [from_value(v, is_int) for v, is_int in zip(row.values, integer, strict=False)]
        for row in response.rows
    ]


def _cell(value: Any) -> str:
    if value is None:
        return "NULL"
    text = value if isinstance(value, str) else json.dumps(value)
    return text if len(text) <= MAX_CELL_WIDTH else text[: MAX_CELL_WIDTH - 1] + "…"


def format_table(names: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain aligned text table with a header rule."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [len(n) for n in names]
    for row in cells:
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=False)]
    lines = ["  ".join(n.ljust(w) for n, w in zip(names, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines.extend(
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)).rstrip() for row in cells
    )
    return "\n".join(lines)


def format_jsonl(names: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    return "\n".join(
        json.dumps(dict(zip(names, row, strict=False)), ensure_ascii=False) for row in rows
    )


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser("query", help="run one read-only SQL statement")
    parser.add_argument("sql", help="one SELECT/WITH/SHOW/DESCRIBE/EXPLAIN statement")
    parser.add_argument("--addr", help="service address (default TELEMETRY_LISTEN_ADDR)")
    parser.add_argument("--format", choices=("table", "jsonl"), default="table")
    parser.add_argument("--max-rows", type=int, default=0, help="row cap (0 = server default)")
    parser.add_argument("--timeout", type=float, default=0.0, help="seconds (0 = server default)")
    parser.add_argument(
        "--token", help="bearer token (default TELEMETRY_QUERY_TOKEN, else TELEMETRY_AUTH_TOKEN)"
    )
    parser.add_argument(
        "--tls", action="store_true", help="connect with TLS (the server runs with a cert)"
    )
    parser.add_argument(
        "--ca-file", help="PEM CA bundle that signed the server's cert (implies --tls)"
    )
    parser.set_defaults(func=run_query)


class CaFileError(ValueError):
    """--ca-file cannot be read."""


def open_channel(addr: str, tls: bool, ca_file: str | None) -> grpc.Channel:
    """Plaintext channel, or TLS with the system roots or the given CA bundle."""
    if not tls and not ca_file:
        return grpc.insecure_channel(addr)
    root_certificates = None
    if ca_file:
        try:
            with open(ca_file, "rb") as handle:
                root_certificates = handle.read()
        except OSError as exc:
            raise CaFileError(f"--ca-file {ca_file}: {exc.strerror}") from exc
    credentials = grpc.ssl_channel_credentials(root_certificates=root_certificates)
    return grpc.secure_channel(addr, credentials)


def run_query(args: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    environ = args.environ
    addr = args.addr or environ.get("TELEMETRY_LISTEN_ADDR", "") or "127.0.0.1:4317"
    token = (
        args.token
        or environ.get("TELEMETRY_QUERY_TOKEN", "")
        or environ.get("TELEMETRY_AUTH_TOKEN", "")
    )
    request = pb.ExecuteQueryRequest(sql=args.sql, max_rows=max(0, args.max_rows))
    if args.timeout > 0:
        request.timeout.FromNanoseconds(int(args.timeout * 1e9))
    metadata = [("authorization", f"Bearer {token}")] if token else []
    deadline_s = (args.timeout or 300.0) + 10.0
    try:
        channel = open_channel(addr, args.tls, args.ca_file)
    except CaFileError as exc:
        print(f"telemetry-service query: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        with channel:
            response = pb_grpc.TelemetryQueryServiceStub(channel).ExecuteQuery(
                request, metadata=metadata, timeout=deadline_s
            )
    except grpc.RpcError as exc:
        code = exc.code() if hasattr(exc, "code") else None
        name = code.name if code is not None else "ERROR"
        details = exc.details() if hasattr(exc, "details") else str(exc)
        print(f"telemetry-service query: {name}: {details}", file=sys.stderr)
        return 1
    names = [column.name for column in response.columns]
    rows = decode_rows(response)
    if args.format == "jsonl":
        text = format_jsonl(names, rows)
        if text:
            print(text, file=out)
    else:
        print(format_table(names, rows), file=out)
        suffix = " (truncated)" if response.truncated else ""
        print(f"{len(rows)} row(s){suffix}", file=sys.stderr)
    return 0
