"""Caller authentication (bearer tokens) and TLS on both services, as real processes.

Router: ROUTER_TLS_CERT_FILE / ROUTER_TLS_KEY_FILE, ROUTER_AUTH_TOKEN. Telemetry:
TELEMETRY_TLS_CERT_FILE / TELEMETRY_TLS_KEY_FILE, TELEMETRY_AUTH_TOKEN (OTLP),
TELEMETRY_QUERY_TOKEN (query service), TELEMETRY_QUERY_ENABLED. The router exports to the
TLS telemetry port with the standard OTEL_EXPORTER_OTLP_CERTIFICATE / _HEADERS.
"""

from __future__ import annotations

import signal
from collections.abc import Sequence

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from llmcouncil.router.v1 import router_service_pb2_grpc as pb_grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2_grpc

from tests.reliability.reliability_procs import ProcessGroup, ServiceProcess, SimControl, TlsFiles
from tests.reliability.reliability_rpc import (
    error_details,
    export_request,
    query_rows,
    seat_request,
    selection_span,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ROUTER_TOKEN = "router-caller-token-81f2"
OTLP_TOKEN = "otlp-sender-token-3c9d"
QUERY_TOKEN = "query-reader-token-b7e0"


def bearer(token: str) -> list[tuple[str, str]]:
    return [("authorization", f"Bearer {token}")]


def tls_channel(target: str, tls: TlsFiles) -> grpc.Channel:
    return grpc.secure_channel(target, grpc.ssl_channel_credentials(root_certificates=tls.cert_pem))


def code_of(call: object) -> grpc.StatusCode:
    assert callable(call)
    try:
        call()
    except grpc.RpcError as error:
        return error_details(error).code
    return grpc.StatusCode.OK


def telemetry_tls(group: ProcessGroup, tls: TlsFiles, **env: str) -> ServiceProcess:
    return group.telemetry(
        group.workdir / "tls-data",
        env={
            "TELEMETRY_TLS_CERT_FILE": str(tls.cert),
            "TELEMETRY_TLS_KEY_FILE": str(tls.key),
            "TELEMETRY_AUTH_TOKEN": OTLP_TOKEN,
            **env,
        },
    )


def _query(channel: grpc.Channel, metadata: Sequence[tuple[str, str]]) -> grpc.StatusCode:
    return code_of(lambda: query_rows(channel, "SELECT 1", metadata=metadata))


def test_router_and_telemetry_over_tls_require_their_tokens_end_to_end(
    group: ProcessGroup, tls_files: TlsFiles
) -> None:
    sim = group.sim()
    control = SimControl(sim)
    telemetry = telemetry_tls(group, tls_files, TELEMETRY_QUERY_TOKEN=QUERY_TOKEN)
    router = group.router(
        control.base_url,
        telemetry=f"https://{telemetry.target}",
        env={
            "ROUTER_TLS_CERT_FILE": str(tls_files.cert),
            "ROUTER_TLS_KEY_FILE": str(tls_files.key),
            "ROUTER_AUTH_TOKEN": ROUTER_TOKEN,
            "OTEL_EXPORTER_OTLP_CERTIFICATE": str(tls_files.cert),
            "OTEL_EXPORTER_OTLP_HEADERS": f"authorization=Bearer%20{OTLP_TOKEN}",
            "OTEL_BSP_SCHEDULE_DELAY": "100",
        },
    )
    control.close()

    with grpc.insecure_channel(router.target) as plain:
        assert (
            code_of(lambda: pb_grpc.RouterServiceStub(plain).RouteSeat(seat_request(), timeout=5.0))
            == grpc.StatusCode.UNAVAILABLE
        )
    with tls_channel(router.target, tls_files) as channel:
        stub = pb_grpc.RouterServiceStub(channel)
        with pytest.raises(grpc.RpcError) as missing:
            stub.RouteSeat(seat_request(), timeout=10.0)
        wrong = code_of(lambda: stub.RouteSeat(seat_request(), metadata=bearer("nope"), timeout=10))
        answer = stub.RouteSeat(seat_request(), metadata=bearer(ROUTER_TOKEN), timeout=10.0)
        health = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest())
    router.signal(signal.SIGTERM)  # drain: flush the span to telemetry over TLS
    assert router.wait(20.0) == 0

    assert error_details(missing.value).code == grpc.StatusCode.UNAUTHENTICATED
    assert error_details(missing.value).reason == "CALLER_UNAUTHENTICATED"
    assert wrong == grpc.StatusCode.UNAUTHENTICATED
    assert answer.resolved_model and answer.trace_id
    assert health.status == health_pb2.HealthCheckResponse.SERVING
    with tls_channel(telemetry.target, tls_files) as channel:
        stored = query_rows(
            channel,
            f"SELECT count() FROM seat_selections WHERE trace_id = '{answer.trace_id}'",
            metadata=bearer(QUERY_TOKEN),
        )
    assert stored == [[1]]


def test_telemetry_otlp_and_query_each_need_their_own_token(
    group: ProcessGroup, tls_files: TlsFiles
) -> None:
    telemetry = telemetry_tls(group, tls_files, TELEMETRY_QUERY_TOKEN=QUERY_TOKEN)
    request = export_request([selection_span(1)])
    with grpc.insecure_channel(telemetry.target) as plain:
        plain_export = code_of(
            lambda: trace_service_pb2_grpc.TraceServiceStub(plain).Export(request, timeout=5.0)
        )
    with tls_channel(telemetry.target, tls_files) as channel:
        export = trace_service_pb2_grpc.TraceServiceStub(channel).Export
        no_token = code_of(lambda: export(request, timeout=10.0))
        query_token_for_otlp = code_of(lambda: export(request, metadata=bearer(QUERY_TOKEN)))
        accepted = code_of(lambda: export(request, metadata=bearer(OTLP_TOKEN), timeout=10.0))
        query_without = _query(channel, [])
        query_with_otlp_token = _query(channel, bearer(OTLP_TOKEN))
        query_with_own = _query(channel, bearer(QUERY_TOKEN))

    assert plain_export == grpc.StatusCode.UNAVAILABLE
    assert no_token == query_token_for_otlp == grpc.StatusCode.UNAUTHENTICATED
    assert accepted == grpc.StatusCode.OK
    assert query_without == query_with_otlp_token == grpc.StatusCode.UNAUTHENTICATED
    assert query_with_own == grpc.StatusCode.OK


def test_disabled_query_service_is_unimplemented_while_otlp_still_works(
    group: ProcessGroup, tls_files: TlsFiles
) -> None:
    telemetry = telemetry_tls(group, tls_files, TELEMETRY_QUERY_ENABLED="false")
    with tls_channel(telemetry.target, tls_files) as channel:
        query = _query(channel, bearer(OTLP_TOKEN))
        export = trace_service_pb2_grpc.TraceServiceStub(channel).Export(
            export_request([selection_span(2)]), metadata=bearer(OTLP_TOKEN), timeout=10.0
        )
    assert query == grpc.StatusCode.UNIMPLEMENTED
    assert not export.HasField("partial_success")


def test_query_service_is_not_open_when_only_the_otlp_token_is_set(
    group: ProcessGroup, tls_files: TlsFiles
) -> None:
    telemetry = telemetry_tls(group, tls_files)
    with tls_channel(telemetry.target, tls_files) as channel:
        assert _query(channel, []) == grpc.StatusCode.UNAUTHENTICATED
