"""`router-service health`: one grpc.health.v1.Health/Check call, for Docker HEALTHCHECK.

Prints the status (SERVING, NOT_SERVING, ... or the gRPC code when the call failed) on
stdout. Exit code 0 only when SERVING, 1 otherwise, 2 for a usage error. Needs no API
key and no other router setting.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from router_service.config import DEFAULT_LISTEN_ADDR, ConfigError, parse_listen_addr

EXIT_SERVING = 0
EXIT_UNHEALTHY = 1
EXIT_USAGE = 2
# Seconds for the whole check, connecting included; Docker's own default timeout is 30 s.
DEFAULT_TIMEOUT_S = 3.0
# A server listening on every interface is probed over loopback.
WILDCARD_HOSTS = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}


@dataclass(frozen=True)
class HealthProbe:
    target: str  # host:port to dial
    service: str  # "" = the server as a whole
    timeout_s: float
    tls: bool
    root_certificates: bytes | None = None
    server_name: str | None = None


def probe_target(name: str, addr: str) -> str:
    """The address to dial for `addr` (HOST:PORT); wildcard hosts become loopback."""
    host, port = parse_listen_addr(name, addr)
    if port == 0:
        raise ConfigError(name, "port 0 cannot be probed; give the port the server listens on")
    host = WILDCARD_HOSTS.get(host, host)
    shown = f"[{host}]" if ":" in host else host
    return f"{shown}:{port}"


def _timeout(raw: str | None) -> float:
    if raw is None:
        return DEFAULT_TIMEOUT_S
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError("--timeout", f"must be seconds, got {raw!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise ConfigError("--timeout", f"must be > 0 seconds, got {raw!r}")
    return value


def build_probe(
    *,
    addr: str | None,
    service: str,
    timeout: str | None,
    tls: bool,
    ca_file: Path | None,
    server_name: str | None,
    environ: Mapping[str, str],
) -> HealthProbe:
    """The probe from flags; `--addr` defaults to ROUTER_LISTEN_ADDR, then 127.0.0.1:50051."""
    if addr is not None:
        target = probe_target("--addr", addr)
    else:
        env_addr = environ.get("ROUTER_LISTEN_ADDR", "").strip()
        target = probe_target("ROUTER_LISTEN_ADDR", env_addr or DEFAULT_LISTEN_ADDR)
    roots = None
    if ca_file is not None:
        try:
            roots = ca_file.read_bytes()
        except OSError as exc:
            raise ConfigError(
                "--ca-file", f"cannot read {str(ca_file)!r}: {exc.strerror}"
            ) from None
    return HealthProbe(
        target=target,
        service=service,
        timeout_s=_timeout(timeout),
        tls=tls or ca_file is not None,
        root_certificates=roots,
        server_name=server_name,
    )


def _channel(probe: HealthProbe) -> grpc.Channel:
    if not probe.tls:
        return grpc.insecure_channel(probe.target)
    options = []
    if probe.server_name:
        # The certificate names the public host; the probe dials loopback.
        options.append(("grpc.ssl_target_name_override", probe.server_name))
    credentials = grpc.ssl_channel_credentials(root_certificates=probe.root_certificates)
    return grpc.secure_channel(probe.target, credentials, options=options)


def check(probe: HealthProbe) -> tuple[int, str, str]:
    """(exit code, status word, detail) for one Health/Check call."""
    with _channel(probe) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        try:
            reply = stub.Check(
                health_pb2.HealthCheckRequest(service=probe.service), timeout=probe.timeout_s
            )
        except grpc.RpcError as error:
            code = error.code() if isinstance(error, grpc.Call) else grpc.StatusCode.UNKNOWN
            detail = error.details() if isinstance(error, grpc.Call) else str(error)
            if code == grpc.StatusCode.NOT_FOUND:
                detail = f"the server does not know service {probe.service!r}"
            return EXIT_UNHEALTHY, code.name, detail or ""
    status = health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
    code = EXIT_SERVING if reply.status == health_pb2.HealthCheckResponse.SERVING else 1
    return code, status, ""


def run(probe: HealthProbe) -> int:
    exit_code, status, detail = check(probe)
    print(status)
    if detail:
        print(f"router-service health: {probe.target}: {status}: {detail}", file=sys.stderr)
    return exit_code
