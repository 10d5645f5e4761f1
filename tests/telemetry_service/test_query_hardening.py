"""Query path hardening: the guard against quoted/escaped names and table functions, the
query concurrency cap and its own executor, the token fallback, council metrics, and the
serve command's one-line store failure."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc
import pytest
from google.protobuf import duration_pb2
from google.rpc import error_details_pb2
from llmcouncil.telemetry.v1 import telemetry_service_pb2 as pb
from llmcouncil.telemetry.v1 import telemetry_service_pb2_grpc as pb_grpc
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2, metrics_service_pb2_grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2_grpc

from telemetry_service.query_guard import check_statement
from telemetry_service.server import TelemetryApp
from telemetry_service.signal_rows import metric_rows
from tests.telemetry_service.conftest import StartApp
from tests.telemetry_service.otlp_builders import (
    export_request,
    router_chat_attributes,
    span,
    unique_span_id,
)
from tests.telemetry_service.rpc_details import details_of

# Runs until its time limit or a KILL QUERY; one core busy meanwhile.
HOLDING_SQL = "SELECT count() FROM system.numbers"
HOLDING_FILTER = "query LIKE '%count() FROM system.numbers%' AND query NOT LIKE '%processes%'"


def seconds(value: float) -> duration_pb2.Duration:
    duration = duration_pb2.Duration()
    duration.FromNanoseconds(int(value * 1e9))
    return duration


async def execute(
    channel: grpc.aio.Channel, sql: str, token: str = "", timeout_s: float | None = None
) -> pb.ExecuteQueryResponse:
    request = pb.ExecuteQueryRequest(sql=sql)
    if timeout_s is not None:
        request.timeout.CopyFrom(seconds(timeout_s))
    metadata = [("authorization", f"Bearer {token}")] if token else None
    return await pb_grpc.TelemetryQueryServiceStub(channel).ExecuteQuery(request, metadata=metadata)


async def failure(channel: grpc.aio.Channel, sql: str, token: str = "") -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await execute(channel, sql, token)
    return caught.value


# --- the guard -------------------------------------------------------------------------------

REFUSED = [
    pytest.param("SELECT * FROM \"file\"('/etc/hostname', 'LineAsString')", id="double-quoted"),
    pytest.param("SELECT * FROM `file`('/etc/hostname', 'LineAsString')", id="backquoted"),
    pytest.param("SELECT \"file\"('/etc/hostname')", id="quoted-scalar-file"),
    pytest.param("SELECT * FROM \"fi\\x6ce\"('/etc/hostname')", id="escaped-quoted-name"),
    pytest.param("SELECT * FROM file\u00a0('/etc/hostname')", id="unicode-space-before-paren"),
    pytest.param("SELECT * FROM \"url\"('http://127.0.0.1:9/', 'LineAsString')", id="quoted-url"),
    pytest.param("SELECT * FROM/**/`s3`('http://127.0.0.1:9/b/k')", id="comment-then-quoted"),
    pytest.param(
        "SELECT $$'$$ AS a, \"file\"('/etc/hostname') AS b, '$$' AS c", id="heredoc-unbalances"
    ),
    pytest.param("SELECT * FROM filesystem('/')", id="filesystem"),
    pytest.param("SELECT * FROM python('x')", id="python"),
    pytest.param("SELECT * FROM numbers(1), \"remote\"('127.0.0.1', system.one)", id="comma-join"),
    pytest.param("SELECT * FROM someFutureTableFunction('x')", id="unknown-after-from"),
    pytest.param("SELECT * FROM view(SELECT * FROM \"file\"('/etc/hostname'))", id="inside-view"),
    pytest.param('SELECT 1 SETTINGS "max_execution_time" = 0', id="quoted-setting"),
    pytest.param("SELECT 1 SETTINGS `max_result_rows`=0", id="backquoted-setting"),
    pytest.param("SELECT 1 SETTINGS/**/max_execution_time=0", id="comment-before-setting"),
    pytest.param("SELECT 1 INTO/**/OUTFILE '/tmp/x'", id="comment-in-into-outfile"),
    pytest.param("SELECT 1 /* ; */ ; DROP TABLE seat_selections", id="second-statement"),
]


@pytest.mark.parametrize("sql", REFUSED)
def test_guard_refuses_hidden_table_functions_and_settings(sql: str) -> None:
    refusal = check_statement(sql)
    assert refusal is not None and not refusal.invalid


ALLOWED = [
    pytest.param("SELECT * FROM numbers(3)", id="numbers"),
    pytest.param("SELECT * FROM generateSeries(1, 3)", id="generate-series"),
    pytest.param("SELECT 'file(x)', 'SETTINGS a = 1' FROM t", id="names-in-strings"),
    pytest.param("SELECT 1 -- FROM file('/etc/hostname') SETTINGS a = 1\n", id="in-comment"),
    pytest.param('SELECT "file", `url` FROM t', id="quoted-columns-named-like-functions"),
    pytest.param("SELECT extract(DAY FROM toDate('2026-01-02'))", id="extract-from-call"),
    pytest.param("SELECT a FROM t ARRAY JOIN arrayMap(x -> x, b) AS c", id="array-join"),
    pytest.param("SELECT format('{} {}', 'a', 'b')", id="scalar-format"),
    pytest.param("SELECT 1;", id="trailing-semicolon"),
]


@pytest.mark.parametrize("sql", ALLOWED)
def test_guard_passes_ordinary_reads(sql: str) -> None:
    assert check_statement(sql) is None


def test_unterminated_literal_is_invalid() -> None:
    refusal = check_statement("SELECT 'no end")
    assert refusal is not None and refusal.invalid


@pytest.mark.parametrize(
    "sql",
    [
        pytest.param("SELECT * FROM \"file\"('/etc/hostname', 'LineAsString')", id="file"),
        pytest.param("SELECT * FROM `fi\\x6ce`('/etc/hostname', 'LineAsString')", id="escaped"),
        pytest.param(
            'SELECT sum(sleepEachRow(0.5)) FROM numbers(6) SETTINGS "max_execution_time" = 0',
            id="settings",
        ),
    ],
)
async def test_quoted_bypasses_are_permission_denied_by_the_service(
    channel: grpc.aio.Channel, sql: str
) -> None:
    error = await failure(channel, sql)
    (info,) = details_of(error, error_details_pb2.ErrorInfo)
    assert (error.code(), info.reason) == (grpc.StatusCode.PERMISSION_DENIED, "QUERY_NOT_READ_ONLY")


# --- concurrency cap and executor isolation ---------------------------------------------------


async def _wait_until_engine_runs_holding_query(app: TelemetryApp) -> None:
    assert app.store is not None
    store = app.store
    for _ in range(200):  # ~10 s at most
        running = await asyncio.to_thread(
            store.command_sync, f"SELECT count() FROM system.processes WHERE {HOLDING_FILTER}"
        )
        if int(running) > 0:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the holding query never started")


async def _kill_holding_queries(app: TelemetryApp) -> None:
    assert app.store is not None
    await asyncio.to_thread(
        app.store.command_sync, f"KILL QUERY WHERE {HOLDING_FILTER} AND query NOT LIKE '%KILL%'"
    )


async def test_running_query_neither_blocks_ingest_nor_queues_another(
    start_app: StartApp,
) -> None:
    # The loop's default executor (used by the batch writer) gets a single thread: a query
    # running on it would leave the writer no thread to insert with.
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="default")
    asyncio.get_running_loop().set_default_executor(executor)
    app = await start_app(TELEMETRY_QUERY_MAX_CONCURRENT="1")
    async with grpc.aio.insecure_channel(f"127.0.0.1:{app.port}") as channel:
        holding = asyncio.create_task(execute(channel, HOLDING_SQL, timeout_s=120))
        try:
            await _wait_until_engine_runs_holding_query(app)
            refused = await failure(channel, "SELECT 1")
            with pytest.raises(grpc.aio.AioRpcError) as drift_refused:
                await pb_grpc.TelemetryQueryServiceStub(channel).ListDriftEvents(
                    pb.ListDriftEventsRequest()
                )
            await trace_service_pb2_grpc.TraceServiceStub(channel).Export(
                export_request([span(router_chat_attributes(), span_id=unique_span_id(41))]),
                timeout=60.0,
            )
            still_running = not holding.done()
        finally:
            await _kill_holding_queries(app)
            with contextlib.suppress(grpc.aio.AioRpcError):
                await holding
        stored = await execute(channel, "SELECT count() FROM seat_selections")

    info, retry = details_of(refused, error_details_pb2.ErrorInfo, error_details_pb2.RetryInfo)
    assert refused.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert info.reason == "QUERY_BUSY"
    assert retry.retry_delay.ToNanoseconds() > 0
    assert drift_refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert still_running, "the export waited for the query to end"
    assert stored.rows[0].values[0].number_value == 1


async def test_query_slot_is_released_when_the_engine_fails_the_query(
    start_app: StartApp,
) -> None:
    app = await start_app(TELEMETRY_QUERY_MAX_CONCURRENT="1")
    async with grpc.aio.insecure_channel(f"127.0.0.1:{app.port}") as channel:
        failed = await failure(channel, "SELECT throwIf(1)")
        after = await execute(channel, "SELECT 2")
    assert failed.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert after.rows[0].values[0].number_value == 2


# --- token fallback ---------------------------------------------------------------------------


async def test_query_service_falls_back_to_the_otlp_token(start_app: StartApp) -> None:
    app = await start_app(TELEMETRY_AUTH_TOKEN="otlp-token")
    async with grpc.aio.insecure_channel(f"127.0.0.1:{app.port}") as channel:
        without = await failure(channel, "SELECT 1")
        wrong = await failure(channel, "SELECT 1", token="guess")
        with_token = await execute(channel, "SELECT 1", token="otlp-token")
    assert without.code() == wrong.code() == grpc.StatusCode.UNAUTHENTICATED
    assert with_token.rows[0].values[0].number_value == 1


async def test_query_token_takes_precedence_over_the_otlp_token(start_app: StartApp) -> None:
    app = await start_app(TELEMETRY_AUTH_TOKEN="otlp-token", TELEMETRY_QUERY_TOKEN="q-token")
    async with grpc.aio.insecure_channel(f"127.0.0.1:{app.port}") as channel:
        otlp_token = await failure(channel, "SELECT 1", token="otlp-token")
        with_token = await execute(channel, "SELECT 1", token="q-token")
    assert otlp_token.code() == grpc.StatusCode.UNAUTHENTICATED
    assert with_token.rows[0].values[0].number_value == 1


# --- council metrics --------------------------------------------------------------------------


def undelivered_metrics_request() -> metrics_service_pb2.ExportMetricsServiceRequest:
    now_ns = time.time_ns()  # within the table's TTL
    request = metrics_service_pb2.ExportMetricsServiceRequest()
    scope = request.resource_metrics.add().scope_metrics.add()
    undelivered = scope.metrics.add(name="llm_council.router.spans.undelivered", unit="{span}")
    point = undelivered.sum.data_points.add(time_unix_nano=now_ns, as_int=44)
    point.attributes.add(key="reason").value.string_value = "dropped"
    other = scope.metrics.add(name="http.server.duration")
    other.gauge.data_points.add(time_unix_nano=now_ns, as_double=1.0)
    return request


def test_council_metrics_are_mapped_and_others_still_dropped() -> None:
    rows, ignored = metric_rows(undelivered_metrics_request())
    assert [(row[3], row[6], row[8]) for row in rows] == [
        ("llm_council.router.spans.undelivered", {"reason": "dropped"}, 44.0)
    ]
    assert ignored == 1


async def test_undelivered_span_count_is_queryable(
    app: TelemetryApp, channel: grpc.aio.Channel
) -> None:
    await metrics_service_pb2_grpc.MetricsServiceStub(channel).Export(undelivered_metrics_request())
    response = await execute(
        channel,
        "SELECT max(Value) FROM genai_metrics "
        "WHERE MetricName = 'llm_council.router.spans.undelivered' "
        "AND Attributes['reason'] = 'dropped'",
    )
    assert response.rows[0].values[0].number_value == 44


# --- serve with an unreachable store ----------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_with_unreachable_clickhouse_prints_one_line_naming_the_variable(
    tmp_path: Path,
) -> None:
    url = f"http://council:pw-7d2c@127.0.0.1:{_closed_port()}/"
    result = subprocess.run(
        [sys.executable, "-m", "telemetry_service", "serve", "--listen", "127.0.0.1:0"],
        env={**os.environ, "CLICKHOUSE_URL": url, "TELEMETRY_CATALOG_INTERVAL_S": "0"},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    last = result.stderr.strip().splitlines()[-1]
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert last.startswith("telemetry-service: CLICKHOUSE_URL: ")
    assert "council:***@127.0.0.1" in last
    assert "pw-7d2c" not in result.stdout + result.stderr
