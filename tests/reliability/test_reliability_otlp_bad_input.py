"""Bad OTLP input against a real telemetry process: garbage bytes, truncated protobuf, wrong
attribute types, oversized requests, gzip bombs. Always a clear error or partial_success,
never a crash, never a bad row."""

from __future__ import annotations

import zlib
from collections.abc import Iterator

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc

from tests.reliability.reliability_procs import ProcessGroup, ServiceProcess
from tests.reliability.reliability_rpc import (
    NAMED_MODEL,
    TRACE_EXPORT,
    error_details,
    export_request,
    identity,
    key_values,
    query_rows,
    selection_attributes,
    selection_span,
    span_id_of,
)

pytestmark = pytest.mark.e2e

MIB = 1024 * 1024


@pytest.fixture(scope="module")
def telemetry(module_group: ProcessGroup) -> ServiceProcess:
    return module_group.telemetry(module_group.workdir / "otlp-bad-input-data")


@pytest.fixture(scope="module")
def channel(telemetry: ServiceProcess) -> Iterator[grpc.Channel]:
    with grpc.insecure_channel(
        telemetry.target, options=[("grpc.max_send_message_length", 200 * MIB)]
    ) as opened:
        yield opened


def raw_export(channel: grpc.Channel, payload: bytes, **kwargs: object) -> grpc.StatusCode:
    export = channel.unary_unary(
        TRACE_EXPORT, request_serializer=identity, response_deserializer=identity
    )
    try:
        export(payload, timeout=60.0, **kwargs)
    except grpc.RpcError as error:
        return error_details(error).code
    return grpc.StatusCode.OK


def assert_still_serving(telemetry: ServiceProcess, channel: grpc.Channel) -> None:
    assert telemetry.alive
    status = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=10)
    assert status.status == health_pb2.HealthCheckResponse.SERVING


def selections(channel: grpc.Channel, where: str = "1") -> list[list[object]]:
    return query_rows(
        channel,
        f"SELECT span_id, resolved_model, tier, input_tokens FROM seat_selections FINAL "
        f"WHERE {where} ORDER BY span_id",
        max_rows=100_000,
    )


GARBAGE = [
    pytest.param(b"\xff" * 256, id="0xff-bytes"),
    pytest.param(b"\x0a\xff\xff\xff\xff\x0f", id="length-beyond-the-message"),
    pytest.param(b"\x0a\x02\x0a\xff", id="nested-length-overrun"),
    pytest.param(bytes(range(256)) * 8, id="byte-ramp"),
    pytest.param(b"\x08" + b"\xff" * 11, id="overlong-varint"),
]


@pytest.mark.parametrize("payload", GARBAGE)
def test_garbage_bytes_are_refused_and_store_nothing(
    telemetry: ServiceProcess, channel: grpc.Channel, payload: bytes
) -> None:
    before = query_rows(channel, "SELECT count() FROM otel_traces")[0][0]
    code = raw_export(channel, payload)

    assert code != grpc.StatusCode.OK
    assert_still_serving(telemetry, channel)
    assert query_rows(channel, "SELECT count() FROM otel_traces")[0][0] == before


def test_garbage_bytes_are_invalid_argument(channel: grpc.Channel) -> None:
    assert raw_export(channel, b"\xff" * 256) == grpc.StatusCode.INVALID_ARGUMENT


def test_truncated_protobuf_is_refused_or_stores_only_whole_spans(
    telemetry: ServiceProcess, channel: grpc.Channel
) -> None:
    first = 10_000
    payload = export_request(selection_span(first + i) for i in range(5)).SerializeToString()
    codes = {raw_export(channel, payload[:cut]) for cut in range(1, len(payload), 23)}

    assert codes <= {grpc.StatusCode.OK, grpc.StatusCode.UNKNOWN, grpc.StatusCode.INVALID_ARGUMENT}
    assert_still_serving(telemetry, channel)
    ids = ",".join(f"'{span_id_of(first + i).hex()}'" for i in range(5))
    for span_id, model, tier, tokens in selections(channel, f"span_id IN ({ids})"):
        assert (model, tier) == (NAMED_MODEL, "balanced"), span_id
        assert isinstance(tokens, int) and tokens >= 100


WRONG_TYPES = [
    pytest.param({"gen_ai.usage.input_tokens": "many"}, id="tokens-as-text"),
    pytest.param({"gen_ai.usage.output_tokens": -5}, id="negative-tokens"),
    pytest.param({"gen_ai.usage.input_tokens": 2**40}, id="tokens-beyond-uint32"),
    pytest.param({"llm_council.attempts": "twice"}, id="attempts-as-text"),
    pytest.param({"llm_council.duplicate_of_pool": "perhaps"}, id="bool-as-text"),
    pytest.param({"openrouter.cost_usd": "cheap"}, id="cost-as-text"),
    pytest.param({"openrouter.cost_usd": float("nan")}, id="cost-nan"),
    pytest.param({"openrouter.pareto.min_coding_score": float("inf")}, id="score-inf"),
    pytest.param({"llm_council.pool.models": 7}, id="pool-as-int"),
    pytest.param({"gen_ai.request.model": ["a", "b"]}, id="model-as-array"),
]


@pytest.mark.parametrize("override", WRONG_TYPES)
def test_wrong_attribute_type_is_rejected_in_partial_success_and_stores_no_bad_row(
    telemetry: ServiceProcess, channel: grpc.Channel, override: dict[str, object]
) -> None:
    index = 20_000 + zlib.crc32(repr(override).encode()) % 10_000
    good = selection_span(index + 50_000)
    bad = selection_span(index, selection_attributes(index, **override))
    response = trace_service_pb2_grpc.TraceServiceStub(channel).Export(
        export_request([bad, good]), timeout=30.0
    )

    assert response.partial_success.rejected_spans == 1
    key = next(iter(override))
    assert key in response.partial_success.error_message
    assert selections(channel, f"span_id = '{span_id_of(index).hex()}'") == []
    assert len(selections(channel, f"span_id = '{span_id_of(index + 50_000).hex()}'")) == 1
    assert_still_serving(telemetry, channel)


def test_span_with_malformed_ids_is_rejected(channel: grpc.Channel) -> None:
    bad = selection_span(30_001)
    bad.trace_id = b"\x01\x02\x03"
    empty = selection_span(30_002)
    empty.span_id = b""
    response = trace_service_pb2_grpc.TraceServiceStub(channel).Export(
        export_request([bad, empty, selection_span(30_003)]), timeout=30.0
    )
    assert response.partial_success.rejected_spans == 2
    assert len(selections(channel, f"span_id = '{span_id_of(30_003).hex()}'")) == 1


def _big_request(megabytes: int) -> bytes:
    request = export_request([selection_span(40_000)])
    span = request.resource_spans[0].scope_spans[0].spans[0]
    span.attributes.extend(key_values({"blob": "x" * (megabytes * MIB)}))
    return request.SerializeToString()


@pytest.mark.slow
def test_request_over_64_mib_is_resource_exhausted(
    telemetry: ServiceProcess, channel: grpc.Channel
) -> None:
    assert raw_export(channel, _big_request(65)) == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert_still_serving(telemetry, channel)


@pytest.mark.slow
def test_gzip_bomb_inflating_past_the_limit_is_resource_exhausted(
    telemetry: ServiceProcess, channel: grpc.Channel
) -> None:
    # ~70 KiB on the wire, 70 MiB once inflated.
    code = raw_export(channel, _big_request(70), compression=grpc.Compression.Gzip)

    assert code == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert_still_serving(telemetry, channel)
    assert selections(channel, f"span_id = '{span_id_of(40_000).hex()}'") == []


def test_receiver_still_stores_a_good_export_after_the_bad_ones(
    telemetry: ServiceProcess, channel: grpc.Channel
) -> None:
    response = trace_service_pb2_grpc.TraceServiceStub(channel).Export(
        export_request([selection_span(50_001)]), timeout=30.0
    )
    assert response == trace_service_pb2.ExportTraceServiceResponse()
    assert len(selections(channel, f"span_id = '{span_id_of(50_001).hex()}'")) == 1
    assert_still_serving(telemetry, channel)
