#!/usr/bin/env python3
"""Container health check through the standard gRPC health service (grpc.health.v1.Health).

The telemetry image's HEALTHCHECK (the router image uses `router-service health`):

    grpc-health-check --listen-env TELEMETRY_LISTEN_ADDR
    grpc-health-check 127.0.0.1:4317 --service llmcouncil.telemetry.v1.TelemetryQueryService

Exits 0 when the server answers SERVING and 1 otherwise (no answer, NOT_SERVING, an unknown
service, a timeout), which is what Docker's HEALTHCHECK expects. With --listen-env the port is
read from the service's own listen variable, so the check follows a changed port; the check
always dials loopback because it runs inside the service's container.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

# Docker kills the check after its own --timeout (5 s in telemetry.Dockerfile); stay below it.
DEFAULT_TIMEOUT_S = 3.0


def target_from_listen_addr(listen_addr: str) -> str:
    """`0.0.0.0:50051` or `[::]:50051` -> `127.0.0.1:50051` (the port of the listen address)."""
    _host, sep, port = listen_addr.strip().rpartition(":")
    if not sep or not port.isdigit():
        raise ValueError(f"expected HOST:PORT, got {listen_addr!r}")
    return f"127.0.0.1:{port}"


def resolve_target(args: argparse.Namespace, environ: Mapping[str, str]) -> str:
    if args.address:
        return str(args.address)
    raw = environ.get(args.listen_env, "").strip() or args.default_addr
    return target_from_listen_addr(raw)


def check(target: str, service: str, timeout_s: float) -> str:
    """The serving status name the server reports for `service`, or a gRPC status code name."""
    with grpc.insecure_channel(target) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        try:
            reply = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=timeout_s)
        except grpc.RpcError as exc:
            code = exc.code()
            return code.name if code is not None else "UNKNOWN"
    return str(health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status))


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="grpc-health-check", description=__doc__.split("\n")[0])
    parser.add_argument("address", nargs="?", help="HOST:PORT to dial (overrides --listen-env)")
    parser.add_argument(
        "--listen-env",
        default="TELEMETRY_LISTEN_ADDR",
        help="environment variable holding the service's listen address (default %(default)s)",
    )
    parser.add_argument(
        "--default-addr",
        default="127.0.0.1:4317",
        help="listen address when the variable is unset (default %(default)s)",
    )
    parser.add_argument("--service", default="", help="health service name ('' = whole server)")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S, help="seconds")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        target = resolve_target(args, os.environ)
    except ValueError as exc:
        sys.stderr.write(f"grpc-health-check: {args.listen_env}: {exc}\n")
        return 1
    status = check(target, args.service, args.timeout)
    sys.stderr.write(f"grpc-health-check: {target} {args.service or '(server)'}: {status}\n")
    return 0 if status == "SERVING" else 1


if __name__ == "__main__":
    sys.exit(main())
