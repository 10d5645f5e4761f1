"""Abuse of the read-only query RPC and CLI against a real telemetry process: writes, DDL,
several statements, SETTINGS overrides, very long statements, unbounded system tables,
table functions that reach files or the network. Each is refused or bounded."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2_grpc

from tests.reliability.reliability_procs import BIN, ProcessGroup, ServiceProcess, base_env
from tests.reliability.reliability_rpc import (
    error_details,
    export_request,
    query_rows,
    selection_span,
)

pytestmark = pytest.mark.e2e

SPANS = 5
DENIED = grpc.StatusCode.PERMISSION_DENIED
INVALID = grpc.StatusCode.INVALID_ARGUMENT


@pytest.fixture(scope="module")
def telemetry(module_group: ProcessGroup) -> ServiceProcess:
    proc = module_group.telemetry(module_group.workdir / "query-abuse-data")
    with grpc.insecure_channel(proc.target) as channel:
        trace_service_pb2_grpc.TraceServiceStub(channel).Export(
            export_request(selection_span(i) for i in range(SPANS)), timeout=30.0
        )
    return proc


@pytest.fixture(scope="module")
def channel(telemetry: ServiceProcess) -> Iterator[grpc.Channel]:
    with grpc.insecure_channel(telemetry.target) as opened:
        yield opened


def refusal(channel: grpc.Channel, sql: str, **kwargs: object) -> tuple[grpc.StatusCode, str]:
    try:
        query_rows(channel, sql, **kwargs)  # type: ignore[arg-type]
    except grpc.RpcError as error:
        details = error_details(error)
        return details.code, details.reason
    return grpc.StatusCode.OK, ""


def assert_store_intact(channel: grpc.Channel) -> None:
    assert query_rows(channel, "SELECT count() FROM seat_selections FINAL")[0][0] == SPANS


REFUSED = [
    ("INSERT INTO seat_selections (seat_id) VALUES ('x')", DENIED),
    ("insert into seat_selections select * from seat_selections", DENIED),
    ("ALTER TABLE seat_selections DELETE WHERE 1", DENIED),
    ("DROP TABLE seat_selections", DENIED),
    ("TRUNCATE TABLE seat_selections", DENIED),
    ("CREATE TABLE pwn (a Int8) ENGINE = Memory", DENIED),
    ("RENAME TABLE seat_selections TO gone", DENIED),
    ("OPTIMIZE TABLE seat_selections FINAL", DENIED),
    ("SYSTEM STOP MERGES", DENIED),
    ("KILL QUERY WHERE 1", DENIED),
    ("SELECT 1; DROP TABLE seat_selections", DENIED),
    ("SELECT 1;\nINSERT INTO seat_selections (seat_id) VALUES ('x');", DENIED),
    ("WITH 1 AS x SELECT x; DROP TABLE seat_selections", DENIED),
    ("SELECT 1 SETTINGS max_execution_time = 0", DENIED),
    ("select * from numbers(3) settings\tmax_result_rows=0", DENIED),
    ("SELECT 1 SETTINGS readonly = 0", DENIED),
    ("SELECT * FROM seat_selections INTO OUTFILE '/tmp/stolen.tsv'", DENIED),
    ("SELECT * FROM file('/etc/passwd', 'LineAsString')", DENIED),
    ("SELECT * FROM FILE ('/etc/passwd', 'LineAsString')", DENIED),
    ("SELECT * FROM file/**/('/etc/passwd', 'LineAsString')", DENIED),
    ("SELECT file('/etc/hostname')", DENIED),
    ("SELECT * FROM url('http://127.0.0.1:9/', 'LineAsString')", DENIED),
    ("SELECT * FROM executable('id', 'TSV', 'x String')", DENIED),
    ("SELECT * FROM remote('127.0.0.1', system.one)", DENIED),
    ("SELECT * FROM s3('http://127.0.0.1:9/b/k', 'LineAsString')", DENIED),
    ("SELECT * FROM input('a String')", DENIED),
    ("SELECT name FROM system.users", DENIED),
    ("SELECT * FROM system.grants", DENIED),
    ("SHOW CREATE USER default", DENIED),
    ("", INVALID),
    ("   \n\t ", INVALID),
    ("SELECT " + "1 + " * 25_000 + "1", INVALID),
    ("SELECT FROM WHERE", INVALID),
]


@pytest.mark.parametrize(
    ("sql", "code"), [pytest.param(sql, code, id=sql[:60] or "empty") for sql, code in REFUSED]
)
def test_statement_that_is_not_a_bounded_read_is_refused(
    channel: grpc.Channel, sql: str, code: grpc.StatusCode
) -> None:
    got, reason = refusal(channel, sql)
    assert got == code, reason
    assert reason == ("QUERY_NOT_READ_ONLY" if code == DENIED else "QUERY_INVALID")
    assert_store_intact(channel)


def test_endless_system_numbers_is_cut_at_max_rows(channel: grpc.Channel) -> None:
    rows = query_rows(channel, "SELECT number FROM system.numbers", max_rows=100)
    assert [r[0] for r in rows] == list(range(100))


def test_endless_system_numbers_without_max_rows_gets_the_server_default(
    channel: grpc.Channel,
) -> None:
    assert len(query_rows(channel, "SELECT number FROM system.numbers")) == 10_000


def test_endless_aggregation_stops_at_the_time_limit(channel: grpc.Channel) -> None:
    started = time.monotonic()
    code, reason = refusal(channel, "SELECT count() FROM system.numbers", timeout_s=1)
    assert (code, reason) == (grpc.StatusCode.DEADLINE_EXCEEDED, "QUERY_TIMEOUT")
    assert time.monotonic() - started < 10.0


@pytest.mark.parametrize(
    "sql",
    [
        pytest.param("SELECT * FROM \"file\"('/etc/hostname', 'LineAsString')", id="double-quoted"),
        pytest.param("SELECT * FROM `file`('/etc/hostname', 'LineAsString')", id="backquoted"),
        pytest.param("SELECT \"file\"('/etc/hostname')", id="quoted-scalar-file"),
    ],
)
def test_quoted_file_table_function_is_refused(channel: grpc.Channel, sql: str) -> None:
    assert refusal(channel, sql)[0] == DENIED


def test_quoted_settings_override_cannot_lift_the_time_limit(channel: grpc.Channel) -> None:
    sql = 'SELECT sum(sleepEachRow(0.5)) FROM numbers(6) SETTINGS "max_execution_time" = 0'
    assert refusal(channel, sql, timeout_s=1)[0] in {DENIED, grpc.StatusCode.DEADLINE_EXCEEDED}


def _cli(telemetry: ServiceProcess, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "telemetry-service"), "query", "--addr", telemetry.target, *args],
        env=base_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_cli_refuses_ddl_with_the_reason_and_exit_code_1(
    telemetry: ServiceProcess, channel: grpc.Channel
) -> None:
    result = _cli(telemetry, "DROP TABLE seat_selections")
    assert result.returncode == 1
    assert "PERMISSION_DENIED" in result.stderr and result.stdout == ""
    assert_store_intact(channel)


def test_cli_bounds_an_endless_read(telemetry: ServiceProcess) -> None:
    result = _cli(
        telemetry, "--format", "jsonl", "--max-rows", "7", "SELECT number FROM system.numbers"
    )
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 7


def _slow_query(target: str) -> None:
    with grpc.insecure_channel(target) as own:
        # The server stops the query at 3 s; the caller gives up at 6 s either way.
        refusal(own, "SELECT count() FROM system.numbers", timeout_s=3, deadline_s=6.0)


@pytest.mark.slow
def test_slow_queries_do_not_starve_otlp_ingest(group: ProcessGroup) -> None:
    telemetry = group.telemetry(group.workdir / "starve-data")
    with ThreadPoolExecutor(max_workers=8) as pool:
        for _ in range(8):
            pool.submit(_slow_query, telemetry.target)
        time.sleep(1.0)  # every query is running or queued
        with grpc.insecure_channel(telemetry.target) as channel:
            started = time.monotonic()
            code = grpc.StatusCode.OK
            try:
                trace_service_pb2_grpc.TraceServiceStub(channel).Export(
                    export_request([selection_span(90_001)]), timeout=5.0
                )
            except grpc.RpcError as error:
                code = error_details(error).code
        waited = time.monotonic() - started
    assert code == grpc.StatusCode.OK, f"export ended {code.name} after {waited:.1f} s"
