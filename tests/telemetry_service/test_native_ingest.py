"""TELEMETRY_INGEST_MODE=native: the engine maps raw request bytes to exactly the rows (and
partial_success) of the Python mapping; requests it cannot map exactly go through Python."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence

import grpc
import pytest
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue, KeyValueList
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from telemetry_service.clickhouse_writer import merge_parts
from telemetry_service.config import SettingsError, load_settings
from telemetry_service.native_ingest import NativeSpanWriter, RawTraceExport, span_parts
from telemetry_service.span_rows import SpanBatch, rows_from_request
from telemetry_service.store import Store
from tests.telemetry_service import otlp_builders as b
from tests.telemetry_service.conftest import StartApp

TABLES = (("otel_traces", "SpanId"), ("seat_selections", "span_id"), ("seat_reviews", "span_id"))
REVIEW = "gen_ai.evaluation.result"


def sid(index: int) -> bytes:
    return b.unique_span_id(index)


def request(*spans: Span, service: str = "router-service") -> ExportTraceServiceRequest:
    return b.export_request(list(spans), service_name=service)


def review_span(index: int, **event: object) -> Span:
    attributes = {
        "gen_ai.evaluation.name": "council_peer_review",
        "gen_ai.evaluation.score.value": 7.5,
        "llm_council.review.reviewer": "seat-1",
        "llm_council.review.rank": 2,
        "llm_council.review.borda_points": 3.0,
        "gen_ai.response.id": "gen-9",
        **event,
    }
    return b.span(
        {"llm_council.session.id": "sess-r", "llm_council.seat.id": "seat-3", "x": "y"},
        span_id=sid(index),
        name="evaluate seat-3",
        kind=Span.SPAN_KIND_INTERNAL,
        events=[(REVIEW, b.START_NS + 5_000, attributes), ("other", 0, {"k": 1})],
    )


def linked_span(index: int) -> Span:
    built = b.span({"http.route": "/a/b"}, span_id=sid(index), parent_span_id=sid(900))
    built.trace_state = "vendor=1"
    built.links.add(
        trace_id=b.TRACE_ID, span_id=sid(901), trace_state="t=2", attributes=b.key_values({"n": 3})
    )
    return built


def kvlist_span(index: int) -> Span:
    built = b.span(b.router_chat_attributes(), span_id=sid(index))
    built.attributes.append(
        KeyValue(
            key="nested",
            value=AnyValue(kvlist_value=KeyValueList(values=b.key_values({"a": 1}))),
        )
    )
    return built


def duplicate_key_span(index: int) -> Span:
    built = b.span({"dup": "first", "other": 1}, span_id=sid(index))
    built.attributes.extend(b.key_values({"dup": "second"}))
    return built


def odd_event_span(index: int) -> Span:
    return b.span(
        {"a": 1}, span_id=sid(index), events=[(REVIEW, b.START_NS, {"tiny": 1e-5, "ok": "x"})]
    )


def odd_link_span(index: int) -> Span:
    built = linked_span(index)
    built.links[0].attributes.extend(b.key_values({"raw": b"\x00\x01"}))
    return built


def odd_resource_request(index: int) -> ExportTraceServiceRequest:
    built = request(b.span(b.router_chat_attributes(), span_id=sid(index)))
    built.resource_spans[0].resource.attributes.extend(b.key_values({"list": ["a", 2]}))
    return built


def value_kinds_span(index: int) -> Span:
    """Every value kind the engine renders itself, in span, event and link attributes."""
    values = {
        "empty": [],
        "words": ["a b", "c~"],
        "integral": 2.0,
        "negative": -0.5,
        "zero": 0.0,
        "minus-zero": -0.0,
        "small": 1e-4,
        "large": 9.5e15,
        "yes": True,
        "no": False,
        "int": -7,
    }
    built = b.span(
        b.router_chat_attributes(**{"llm_council.pool.models": [], **values}),
        span_id=sid(index),
        events=[("other", b.START_NS, values)],
    )
    built.links.add(trace_id=b.TRACE_ID, span_id=sid(index + 1), attributes=b.key_values(values))
    return built


# (requests, whether the engine maps each request itself)
CASES = [
    pytest.param([request(value_kinds_span(50))], [True], id="value-kinds-rendered-by-engine"),
    pytest.param(
        [
            request(duplicate_key_span(52)),
            request(b.span({"items": ["a", 1]}, span_id=sid(53))),
            request(b.span({"nan": float("nan")}, span_id=sid(54))),
            request(odd_event_span(55)),
            request(odd_link_span(56)),
            odd_resource_request(57),
            request(b.span({"ok": "x"}, span_id=sid(58))),
        ],
        [False, False, False, False, False, False, True],
        id="odd-values-anywhere-fall-back",
    ),
    pytest.param([request(b.span(b.router_chat_attributes()))], [True], id="router-chat-all"),
    pytest.param(
        [
            request(
                b.span(
                    b.router_chat_attributes(
                        **{
                            "llm_council.streaming": True,
                            "llm_council.time_to_first_token_ms": 12.25,
                            "openrouter.cost_usd": 2.0,
                        }
                    ),
                    span_id=sid(1),
                )
            )
        ],
        [True],
        id="streaming",
    ),
    pytest.param(
        [
            request(
                b.span(
                    {
                        "gen_ai.operation.name": "chat",
                        "gen_ai.provider.name": "openrouter",
                        "gen_ai.request.model": "openai/gpt-5",
                        "error.type": "UPSTREAM_RATE_LIMITED",
                        "llm_council.attempts": 3,
                    },
                    span_id=sid(2),
                    status_code=Status.STATUS_CODE_ERROR,
                    status_message="rate limited",
                )
            )
        ],
        [True],
        id="error-span",
    ),
    pytest.param(
        [
            request(
                b.span(
                    {"http.method": "GET", "http.status_code": 200, "ratio": 1.0, "ok": False},
                    span_id=sid(3),
                    name="GET /health",
                    kind=Span.SPAN_KIND_SERVER,
                ),
                linked_span(4),
                service="gateway",
            )
        ],
        [True],
        id="non-genai-and-links",
    ),
    pytest.param(
        [
            request(
                b.span(
                    {
                        "gen_ai.operation.name": "text_completion",
                        "gen_ai.system": "openrouter",
                        "gen_ai.usage.prompt_tokens": 10,
                        "gen_ai.usage.completion_tokens": 20,
                        "gen_ai.response.finish_reasons": "length",
                    },
                    span_id=sid(5),
                ),
                b.span(
                    {"gen_ai.operation.name": "chat", "server.address": "eu.openrouter.ai"},
                    span_id=sid(6),
                ),
                b.span(
                    {"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai"},
                    span_id=sid(7),
                ),
                service="other-sender",
            )
        ],
        [True],
        id="other-sender",
    ),
    pytest.param(
        [
            request(
                review_span(8),
                review_span(9, **{"llm_council.seat.id": "seat-own", "llm_council.tier": "high"}),
            )
        ],
        [True],
        id="review-events",
    ),
    pytest.param(
        [
            request(
                b.span(
                    {"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openrouter"},
                    span_id=sid(10),
                    end_ns=b.START_NS,
                )
            )
        ],
        [True],
        id="missing-optional-attributes",
    ),
    pytest.param(
        [
            request(
                b.span(
                    b.router_chat_attributes(
                        **{"llm_council.seat.id": "席-2 ✓", "gen_ai.response.id": "gén-ü🚀"}
                    ),
                    span_id=sid(11),
                    name="chat модель",
                ),
                service="сервис",
            )
        ],
        [True],
        id="unicode",
    ),
    pytest.param(
        [
            request(
                b.span(
                    b.router_chat_attributes(
                        **{
                            "gen_ai.usage.input_tokens": 4_294_967_295,
                            "big": 2**62,
                            "negative": -5,
                            "llm_council.attempts": 65_535,
                        }
                    ),
                    span_id=sid(12),
                )
            )
        ],
        [True],
        id="big-ints",
    ),
    pytest.param(
        [
            request(b.span(b.router_chat_attributes(), span_id=sid(13))),
            request(
                b.span({"a": 1}, span_id=sid(14)),
                b.span({"a": 1}, span_id=bytes(8)),
                b.span({"a": 1}, span_id=sid(15), start_ns=0),
            ),
            request(
                b.span(
                    b.router_chat_attributes(**{"gen_ai.usage.input_tokens": -1}),
                    span_id=sid(16),
                )
            ),
        ],
        [True, False, False],
        id="rejected-spans-fall-back-with-exact-counts",
    ),
    pytest.param(
        [request(b.span({"a": 1}, span_id=b"\x01\x02"), b.span({"a": 1}, span_id=sid(22)))],
        [False],
        id="only-request-has-a-short-span-id",
    ),
    pytest.param(
        [
            request(
                b.span(
                    b.router_chat_attributes(**{"llm_council.pool.models": ["模型", 'a"b']}),
                    span_id=sid(17),
                )
            ),
            request(b.span({"tiny": 1e-5, "huge": 1e16}, span_id=sid(18))),
            request(
                b.span(b.router_chat_attributes(**{"llm_council.attempts": "2"}), span_id=sid(19))
            ),
            request(kvlist_span(20)),
            request(b.span({"k": "first", "k ": "x"}, span_id=sid(21))),
        ],
        [False, False, False, False, True],
        id="unusual-values-fall-back",
    ),
]


def stored(store: Store) -> dict[str, str]:
    """Every table as JSON text, rows by span id (inserted_at differs by design)."""
    out: dict[str, str] = {}
    for table, order in TABLES:
        result = store.query_sync(
            f"SELECT toJSONString(tuple(* EXCEPT (inserted_at))) FROM {table} ORDER BY {order}, 1"
            if table != "otel_traces"
            else f"SELECT toJSONString(tuple(*)) FROM {table} ORDER BY {order}, 1"
        )
        out[table] = "\n".join(str(row[0]) for row in result.rows)
    return out


def truncate(store: Store) -> None:
    for table, _ in TABLES:
        store.command_sync(f"TRUNCATE TABLE {table}")


def insert_native(
    store: Store, requests: Sequence[ExportTraceServiceRequest]
) -> list[RawTraceExport]:
    writer = NativeSpanWriter(store.command_sync, store.insert_columns_sync)
    writer.prepare()
    try:
        exports = [RawTraceExport(r.SerializeToString(), r) for r in requests]
        writer.insert_exports(exports)
    finally:
        writer.close()
    return exports


@pytest.mark.parametrize(("requests", "engine_mapped"), CASES)
def test_native_mapping_stores_the_same_rows_and_rejects_as_python(
    store: Store, requests: list[ExportTraceServiceRequest], engine_mapped: list[bool]
) -> None:
    batches = [rows_from_request(r) for r in requests]
    for part in merge_parts(span_parts(batch) for batch in batches):
        store.insert_columns_sync(part.table, part.columns(), part.column_names)
    expected = stored(store)
    truncate(store)

    exports = insert_native(store, requests)

    assert stored(store) == expected
    assert any(expected.values())
    assert [e.python_batch is None for e in exports] == engine_mapped
    rejects = [(e.python_batch or SpanBatch()).error_message() for e in exports]
    assert rejects == [batch.error_message() for batch in batches]


def test_all_cases_in_one_flush_store_the_same_rows_as_python(store: Store) -> None:
    requests = [r for case in CASES for r in case.values[0]]  # type: ignore[union-attr]
    for part in merge_parts(span_parts(rows_from_request(r)) for r in requests):
        store.insert_columns_sync(part.table, part.columns(), part.column_names)
    expected = stored(store)
    truncate(store)

    insert_native(store, requests)

    assert stored(store) == expected
    assert json.loads(expected["seat_reviews"].splitlines()[0])


def test_a_staging_table_left_with_other_columns_is_replaced(store: Store) -> None:
    # e.g. by an older version that stopped without dropping it
    store.command_sync(
        "CREATE TABLE native_span_staging (req UInt32, kinds Array(String)) ENGINE = Memory"
    )
    requests = [request(b.span(b.router_chat_attributes(), span_id=sid(60)))]
    for part in merge_parts(span_parts(rows_from_request(r)) for r in requests):
        store.insert_columns_sync(part.table, part.columns(), part.column_names)
    expected = stored(store)
    truncate(store)

    exports = insert_native(store, requests)

    assert stored(store) == expected
    assert exports[0].python_batch is None


async def test_native_service_acknowledges_after_write_with_partial_success(
    start_app: StartApp,
) -> None:
    app = await start_app(TELEMETRY_INGEST_MODE="native", TELEMETRY_FLUSH_INTERVAL_MS="300")
    good = request(b.span(b.router_chat_attributes(), span_id=sid(30)))
    mixed = request(b.span({"a": 1}, span_id=sid(31)), b.span({"a": 1}, span_id=bytes(8)))
    others = [request(b.span({"i": i}, span_id=sid(40 + i))) for i in range(4)]
    async with grpc.aio.insecure_channel(f"127.0.0.1:{app.port}") as channel:
        stub = trace_service_pb2_grpc.TraceServiceStub(channel)
        responses = await asyncio.gather(*(stub.Export(r) for r in [good, mixed, *others]))
    assert app.store is not None and app.writer is not None
    selections = app.store.query_sync("SELECT span_id, tier FROM seat_selections").rows
    traces = app.store.query_sync("SELECT count() FROM otel_traces").rows
    assert selections == [(sid(30).hex(), "balanced")]
    assert traces == [(6,)]
    assert responses[0] == trace_service_pb2.ExportTraceServiceResponse()
    assert responses[1].partial_success.rejected_spans == 1
    assert "span_id must be 8 non-zero bytes" in responses[1].partial_success.error_message
    # Group commit: the six concurrent exports share fewer flushes than one each.
    assert app.writer.stats.flushes < 6


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        pytest.param({"TELEMETRY_INGEST_MODE": "fast"}, "must be one of", id="unknown-mode"),
        pytest.param(
            {"TELEMETRY_INGEST_MODE": "native", "TELEMETRY_CLUSTER": "council"},
            "embedded engine",
            id="native-needs-no-cluster",
        ),
        pytest.param(
            {"TELEMETRY_INGEST_MODE": "native", "CLICKHOUSE_URL": "http://h:8123/db"},
            "embedded engine",
            id="native-needs-embedded-engine",
        ),
    ],
)
def test_bad_ingest_mode_names_the_variable(environ: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings(environ, cwd="/tmp")
    assert raised.value.variable == "TELEMETRY_INGEST_MODE"
    assert message in str(raised.value)


def test_ingest_mode_defaults_to_python() -> None:
    assert load_settings({}, cwd="/tmp").ingest_mode == "python"
    server = {"CLICKHOUSE_URL": "http://127.0.0.1:8123"}
    assert load_settings(server, cwd="/tmp").ingest_mode == "python"


def test_ingest_mode_native_is_taken_on_the_embedded_engine() -> None:
    settings = load_settings({"TELEMETRY_INGEST_MODE": "native"}, cwd="/tmp")
    assert settings.ingest_mode == "native"
