"""TelemetryQueryService.ExecuteQuery over a real channel, read-only on the real engine."""

from __future__ import annotations

import sys

import grpc
import pytest
from clickhouse_connect.driver.exceptions import DatabaseError
from google.protobuf import duration_pb2
from google.rpc import error_details_pb2
from llmcouncil.telemetry.v1 import telemetry_service_pb2 as pb
from llmcouncil.telemetry.v1 import telemetry_service_pb2_grpc as pb_grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2_grpc

from telemetry_service import server as server_module
from telemetry_service.query_service import engine_error_status
from telemetry_service.server import TelemetryApp
from telemetry_service.store import Store
from tests.telemetry_service.conftest import StartApp
from tests.telemetry_service.otlp_builders import (
    export_request,
    router_chat_attributes,
    span,
    unique_span_id,
)
from tests.telemetry_service.rpc_details import details_of


async def execute(channel: grpc.aio.Channel, sql: str, **fields: object) -> pb.ExecuteQueryResponse:
    stub = pb_grpc.TelemetryQueryServiceStub(channel)
    return await stub.ExecuteQuery(pb.ExecuteQueryRequest(sql=sql, **fields))  # type: ignore[arg-type]


async def refusal(channel: grpc.aio.Channel, sql: str) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await execute(channel, sql)
    return caught.value


async def test_select_returns_typed_columns_and_values(channel: grpc.aio.Channel) -> None:
    await trace_service_pb2_grpc.TraceServiceStub(channel).Export(
        export_request([span(router_chat_attributes())])
    )
    response = await execute(
        channel,
        "SELECT tier, resolved_model, count() AS n, min_coding_score, ttft_ms, pool_models "
        "FROM seat_selections GROUP BY ALL",
    )

    assert [(c.name, c.type) for c in response.columns] == [
        ("tier", "LowCardinality(String)"),
        ("resolved_model", "LowCardinality(String)"),
        ("n", "UInt64"),
        ("min_coding_score", "Nullable(Float64)"),
        ("ttft_ms", "Nullable(Float64)"),
        ("pool_models", "Array(LowCardinality(String))"),
    ]
    values = response.rows[0].values
    assert values[0].string_value == "balanced"
    assert values[1].string_value == "anthropic/claude-sonnet-4.5"
    assert values[2].number_value == 1
    assert values[3].number_value == 0.5
    assert [v.string_value for v in values[5].list_value.values] == [
        "openai/gpt-5",
        "anthropic/claude-sonnet-4.5",
    ]
    assert response.truncated is False


@pytest.mark.parametrize(
    "sql",
    [
        pytest.param("INSERT INTO seat_selections (tier) VALUES ('x')", id="insert"),
        pytest.param("DROP TABLE seat_selections", id="drop"),
        pytest.param("CREATE TABLE x (a UInt8) ENGINE = Memory", id="create"),
        pytest.param("ALTER TABLE seat_selections DELETE WHERE 1", id="alter-delete"),
        pytest.param("SELECT 1; DROP TABLE seat_selections", id="two-statements"),
        pytest.param("SELECT 1 SETTINGS max_execution_time = 100000", id="settings-override"),
        pytest.param("SELECT * FROM file('/etc/passwd', 'LineAsString')", id="file-function"),
        pytest.param("SELECT 1 INTO OUTFILE '/tmp/x'", id="into-outfile"),
    ],
)
async def test_writes_ddl_and_overrides_are_permission_denied(
    channel: grpc.aio.Channel, sql: str
) -> None:
    error = await refusal(channel, sql)
    assert error.code() == grpc.StatusCode.PERMISSION_DENIED
    (info,) = details_of(error, error_details_pb2.ErrorInfo)
    assert (info.reason, info.domain) == ("QUERY_NOT_READ_ONLY", "telemetry.llmcouncil.io")


async def test_semicolons_inside_literals_and_a_trailing_one_are_fine(
    channel: grpc.aio.Channel,
) -> None:
    response = await execute(channel, "SELECT 'a;b' AS s, 'SETTINGS x = 1' AS t;")
    assert response.rows[0].values[0].string_value == "a;b"


async def test_engine_refuses_writes_on_the_reader_client(store: Store) -> None:
    # The guard is the first line; the engine's readonly=2 session is the second.
    with pytest.raises(DatabaseError) as caught:
        await store.query("INSERT INTO seat_selections (tier) VALUES ('x')")
    assert engine_error_status(caught.value) == (
        grpc.StatusCode.PERMISSION_DENIED,
        "QUERY_NOT_READ_ONLY",
    )


async def test_row_limit_truncates(channel: grpc.aio.Channel) -> None:
    response = await execute(channel, "SELECT number FROM numbers(100000)", max_rows=7)
    assert len(response.rows) == 7
    assert response.truncated is True


async def test_time_limit_answers_deadline_exceeded(channel: grpc.aio.Channel) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await execute(
            channel,
            "SELECT count() FROM numbers(100000000000) WHERE sipHash64(number) = 1",
            timeout=duration_pb2.Duration(seconds=1),
        )
    assert caught.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED


@pytest.mark.parametrize(
    ("sql", "field"),
    [
        pytest.param("   ", "sql", id="empty"),
        pytest.param("SELECT " + "1," * 60_000 + "1", "sql", id="too-long"),
    ],
)
async def test_bad_statement_is_invalid_argument_naming_the_field(
    channel: grpc.aio.Channel, sql: str, field: str
) -> None:
    error = await refusal(channel, sql)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    (bad,) = details_of(error, error_details_pb2.BadRequest)
    assert bad.field_violations[0].field == field


async def test_syntax_error_is_invalid_argument(channel: grpc.aio.Channel) -> None:
    error = await refusal(channel, "SELECT FROM WHERE")
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_query_token_is_required_when_configured(start_app: StartApp) -> None:
    app = await start_app(TELEMETRY_QUERY_TOKEN="q-token")
    async with grpc.aio.insecure_channel(f"127.0.0.1:{app.port}") as channel:
        error = await refusal(channel, "SELECT 1")
        stub = pb_grpc.TelemetryQueryServiceStub(channel)
        ok = await stub.ExecuteQuery(
            pb.ExecuteQueryRequest(sql="SELECT 1"), metadata=[("authorization", "Bearer q-token")]
        )
    assert error.code() == grpc.StatusCode.UNAUTHENTICATED
    assert ok.rows[0].values[0].number_value == 1


async def test_disabled_query_service_is_not_registered(start_app: StartApp) -> None:
    app = await start_app(TELEMETRY_QUERY_ENABLED="false")
    async with grpc.aio.insecure_channel(f"127.0.0.1:{app.port}") as channel:
        error = await refusal(channel, "SELECT 1")
        # OTLP still works on the same port.
        await trace_service_pb2_grpc.TraceServiceStub(channel).Export(
            export_request([span(router_chat_attributes(), span_id=unique_span_id(3))])
        )
    assert error.code() == grpc.StatusCode.UNIMPLEMENTED


async def test_drift_rpcs_answer_unimplemented_without_the_drift_module(
    start_app: StartApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A None entry in sys.modules makes the import fail as if the module were not installed.
    monkeypatch.setitem(sys.modules, "telemetry_service.drift.rpc", None)
    app: TelemetryApp = await start_app()
    async with grpc.aio.insecure_channel(f"127.0.0.1:{app.port}") as channel:
        stub = pb_grpc.TelemetryQueryServiceStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.ListDriftEvents(pb.ListDriftEventsRequest())
    assert caught.value.code() == grpc.StatusCode.UNIMPLEMENTED


def test_drift_rpc_is_loaded_when_the_module_exists(store: Store) -> None:
    from telemetry_service.config import load_settings

    handler = server_module.load_drift_rpc(store, load_settings({}))
    assert handler is not None
    assert hasattr(handler, "get_drift_report")


async def test_limits_apply_even_after_a_trailing_comment(channel: grpc.aio.Channel) -> None:
    response = await execute(
        channel,
        "SELECT getSetting('max_execution_time') AS limit_s -- a trailing comment",
        timeout=duration_pb2.Duration(seconds=7),
    )
    assert response.rows[0].values[0].number_value == 7
