"""`telemetry-service drift`: the report from the running service over gRPC.

The embedded engine belongs to the serving process, so the CLI asks it (GetDriftReport)
instead of opening the store itself.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import duration_pb2, json_format, timestamp_pb2
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from llmcouncil.telemetry.v1 import telemetry_service_pb2 as pb
from llmcouncil.telemetry.v1 import telemetry_service_pb2_grpc as pb_grpc

from telemetry_service.drift.filters import TIERS, parse_duration, parse_time
from telemetry_service.drift.plot import write_share_plot
from telemetry_service.drift.render import render_report
from telemetry_service.query_cli import CaFileError, open_channel

_LOG = logging.getLogger(__name__)
DEFAULT_ADDR = "127.0.0.1:4317"
# BadRequest field of the RPC -> the flag a person typed.
FLAG_OF_FIELD = {
    "filter.tier": "--tier",
    "filter.window": "--window",
    "filter.since": "--since",
    "filter.until": "--until",
    "filter.requested_model": "--requested-model",
    "filter.divergence_threshold": "--threshold",
}


class UsageError(ValueError):
    """A flag value is invalid; the message starts with the flag."""


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register `drift` on the service CLI's subparsers."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "drift",
        help="frontier-drift report of the running service",
        description="Selection shares, drift events, catalog frontier and the Pareto seat "
        "checks, from the running telemetry service.",
    )
    parser.add_argument("--tier", default="", help=f"one of {', '.join(TIERS)} (default: all)")
    parser.add_argument("--window", default="1d", help="window length: 10s, 30m, 1h, 1d, 1w")
    parser.add_argument("--since", default="", help="start: a duration ago (7d) or ISO time")
    parser.add_argument("--until", default="", help="end: a duration ago or ISO time (default now)")
    parser.add_argument("--requested-model", default="", help="default: the Pareto seats")
    parser.add_argument("--threshold", type=float, default=0.0, help="JS divergence, 0..1")
    parser.add_argument("--format", choices=("table", "json"), default="table")
    parser.add_argument("--plot", default="", metavar="FILE.png", help="write a share chart")
    parser.add_argument(
        "--addr",
        default="",
        help="telemetry service HOST:PORT (default TELEMETRY_LISTEN_ADDR or 127.0.0.1:4317)",
    )
    parser.add_argument("--timeout", type=float, default=60.0, help="RPC deadline, seconds")
    parser.add_argument(
        "--token", help="bearer token (default TELEMETRY_QUERY_TOKEN, else TELEMETRY_AUTH_TOKEN)"
    )
    parser.add_argument(
        "--tls", action="store_true", help="connect with TLS (the server runs with a cert)"
    )
    parser.add_argument(
        "--ca-file", help="PEM CA bundle that signed the server's cert (implies --tls)"
    )
    parser.set_defaults(func=run)
    return parser


def _timestamp(epoch_s: float) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromNanoseconds(round(epoch_s * 1e9))
    return stamp


def build_filter(args: argparse.Namespace, now: float) -> pb.DriftFilter:
    """The RPC filter from the flags; UsageError naming the flag on a bad value."""
    if args.tier and args.tier not in TIERS:
        raise UsageError(f"--tier: unknown tier {args.tier!r}; expected one of {', '.join(TIERS)}")
    try:
        window_s = parse_duration(args.window)
    except ValueError as exc:
        raise UsageError(f"--window: {exc}") from None
    if window_s < 1:
        raise UsageError(f"--window: must be at least 1s, got {args.window!r}")
    message = pb.DriftFilter(
        tier=args.tier,
        requested_model=args.requested_model,
        divergence_threshold=args.threshold,
    )
    message.window.CopyFrom(duration_pb2.Duration(seconds=int(window_s)))
    for flag, text, field in (("--since", args.since, "since"), ("--until", args.until, "until")):
        if not text:
            continue
        try:
            moment = parse_time(text, now)
        except ValueError as exc:
            raise UsageError(f"{flag}: {exc}") from None
        if moment > now and flag == "--since":
            raise UsageError(f"--since: {text!r} is in the future")
        getattr(message, field).CopyFrom(_timestamp(moment))
    return message


def _rpc_error_text(error: grpc.RpcError) -> str:
    """The server's message, with BadRequest fields translated to flag names."""
    status = rpc_status.from_call(error)
    if status is not None:
        for detail in status.details:
            if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                bad = error_details_pb2.BadRequest()
                detail.Unpack(bad)
                return "; ".join(
                    f"{FLAG_OF_FIELD.get(v.field, v.field)}: {v.description}"
                    for v in bad.field_violations
                )
    return f"{error.code().name}: {error.details()}"


def _environ(args: argparse.Namespace) -> Mapping[str, str]:
    # The service CLI hands its (possibly injected) environment down on the namespace.
    environ = getattr(args, "environ", None)
    return environ if isinstance(environ, Mapping) else os.environ


def fetch_report(
    addr: str,
    message: pb.DriftFilter,
    timeout_s: float,
    token: str = "",
    *,
    tls: bool = False,
    ca_file: str | None = None,
) -> pb.DriftReport:
    metadata = (("authorization", f"Bearer {token}"),) if token else None
    with open_channel(addr, tls, ca_file) as channel:
        stub = pb_grpc.TelemetryQueryServiceStub(channel)
        response = stub.GetDriftReport(
            pb.GetDriftReportRequest(filter=message), timeout=timeout_s, metadata=metadata
        )
    return response.report


def run(args: argparse.Namespace) -> int:
    """Print the report (and write the chart); 0 on success, 2 on bad flags, 1 on RPC errors."""
    try:
        message = build_filter(args, time.time())
    except UsageError as exc:
        print(f"telemetry-service drift: {exc}", file=sys.stderr)
        return 2
    environ = _environ(args)
    addr = args.addr or environ.get("TELEMETRY_LISTEN_ADDR", "").strip() or DEFAULT_ADDR
    token = (
        getattr(args, "token", None)
        or environ.get("TELEMETRY_QUERY_TOKEN", "")
        or environ.get("TELEMETRY_AUTH_TOKEN", "")
    ).strip()
    try:
        report = fetch_report(
            addr,
            message,
            args.timeout,
            token,
            tls=bool(getattr(args, "tls", False)),
            ca_file=getattr(args, "ca_file", None),
        )
    except CaFileError as exc:
        print(f"telemetry-service drift: {exc}", file=sys.stderr)
        return 2
    except grpc.RpcError as exc:
        code = exc.code()
        print(f"telemetry-service drift: {_rpc_error_text(exc)}", file=sys.stderr)
        if code == grpc.StatusCode.UNAVAILABLE:
            print(
                f"  (is `telemetry-service serve` running on {addr}? see --addr)",
                file=sys.stderr,
            )
        return 2 if code == grpc.StatusCode.INVALID_ARGUMENT else 1
    if args.format == "json":
        sys.stdout.write(json_format.MessageToJson(report, preserving_proto_field_name=True) + "\n")
    else:
        sys.stdout.write(render_report(report))
    if args.plot:
        panels = write_share_plot(report, Path(args.plot))
        print(f"chart written to {args.plot} ({panels} tier panels)", file=sys.stderr)
    return 0
