"""SQL of the engine-side span mapping (TELEMETRY_INGEST_MODE=native), as pure text builders.

ClickHouse's Protobuf input format decodes the raw ExportTraceServiceRequest bytes (a
wire-compatible subset of the OTLP schema, `OTLP_SUBSET_PROTO`) into a staging table with one
row per span; three INSERT ... SELECT statements then write the same rows as the Python
mapping (span_rows / genai_rows). The SQL maps only the common, unambiguous cases exactly:
a span whose request holds anything else (an id or time the rules reject, a kvlist/bytes/
unset value, a double Python would render in exponent form, a non-ASCII or quoted array
item, a duplicate key, a typed attribute of a kind the SQL does not convert) sets `ok` = 0
and its whole request goes through the Python mapping instead, so results stay identical.
"""

from __future__ import annotations

from telemetry_service.genai_rows import REVIEW_EVENT_NAME, UINT16_MAX, UINT32_MAX

STAGING_TABLE = "native_span_staging"
# The request's index within one flush, appended to its bytes as this (unused) field.
REQUEST_INDEX_FIELD = 15

OTLP_SUBSET_PROTO = """syntax = "proto3";
message LeafValue { oneof value { string string_value = 1; bool bool_value = 2;
  int64 int_value = 3; double double_value = 4; bytes array_value = 5;
  bytes kvlist_value = 6; bytes bytes_value = 7; } }
message ArrayValue { repeated LeafValue values = 1; }
message AnyValue { oneof value { string string_value = 1; bool bool_value = 2;
  int64 int_value = 3; double double_value = 4; ArrayValue array_value = 5;
  bytes kvlist_value = 6; bytes bytes_value = 7; } }
message KeyValue { string key = 1; AnyValue value = 2; }
message Resource { repeated KeyValue attributes = 1; }
message Scope { string name = 1; string version = 2; }
message Event { fixed64 time_unix_nano = 1; string name = 2; repeated KeyValue attributes = 3; }
message Link { bytes trace_id = 1; bytes span_id = 2; string trace_state = 3;
  repeated KeyValue attributes = 4; }
message Status { string message = 2; int32 code = 3; }
message Span { bytes trace_id = 1; bytes span_id = 2; string trace_state = 3;
  bytes parent_span_id = 4; string name = 5; int32 kind = 6;
  fixed64 start_time_unix_nano = 7; fixed64 end_time_unix_nano = 8;
  repeated KeyValue attributes = 9; repeated Event events = 11; repeated Link links = 13;
  Status status = 15; }
message ScopeSpans { Scope scope = 1; repeated Span spans = 2; }
message ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; }
message ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1;
  uint32 req = 15; }
"""

_KINDS = (
    "Enum8('unset' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, "
    "'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7)"
)
_SCALARS = "string_value String, bool_value Bool, int_value Int64, double_value Float64"
_LEAF = (
    f"Tuple(value {_KINDS}, {_SCALARS}, array_value String, kvlist_value String, "
    "bytes_value String)"
)
_ANY = (
    f"Tuple(value {_KINDS}, {_SCALARS}, array_value Tuple(values Array({_LEAF})), "
    "kvlist_value String, bytes_value String)"
)
_KVS = f"Array(Tuple(key String, value {_ANY}))"
REQUEST_STRUCTURE = (
    "req UInt32, resource_spans Array(Tuple(resource Tuple(attributes "
    f"{_KVS}), scope_spans Array(Tuple(scope Tuple(name String, version String), "
    "spans Array(Tuple(trace_id String, span_id String, trace_state String, "
    "parent_span_id String, name String, kind Int32, start_time_unix_nano UInt64, "
    f"end_time_unix_nano UInt64, attributes {_KVS}, events Array(Tuple(time_unix_nano "
    f"UInt64, name String, attributes {_KVS})), links Array(Tuple(trace_id String, "
    f"span_id String, trace_state String, attributes {_KVS})), "
    "status Tuple(message String, code Int32)))))))"
)

STAGING_DDL = f"""CREATE TABLE IF NOT EXISTS {STAGING_TABLE} (
    req UInt32, ok UInt8, service_name String,
    res_keys Array(String), res_vals Array(String), scope_name String, scope_version String,
    trace_id String, span_id String, parent_span_id String, trace_state String, name String,
    kind Int32, start UInt64, end UInt64,
    keys Array(String), kinds Array(String), vals Array(String), ints Array(Int64),
    doubles Array(Float64), items Array(Array(String)),
    status_code Int32, status_message String,
    ev_time Array(UInt64), ev_name Array(String), ev_keys Array(Array(String)),
    ev_kinds Array(Array(String)), ev_vals Array(Array(String)), ev_ints Array(Array(Int64)),
    ev_doubles Array(Array(Float64)),
    link_trace Array(String), link_span Array(String), link_state Array(String),
    link_keys Array(Array(String)), link_vals Array(Array(String))
) ENGINE = Memory"""


def _value_ok(v: str) -> str:
    """The AnyValue `v` is of a kind the SQL renders exactly as otlp_values.render does:
    doubles only in Python's positional range (1e-4 <= |x| < 1e16, or 0), array items only
    printable ASCII strings without quote or backslash (JSON-quoted by adding quotes)."""
    return (
        f"({v}.value IN ('string_value', 'bool_value', 'int_value') "
        f"OR ({v}.value = 'double_value' AND isFinite({v}.double_value) "
        f"AND ({v}.double_value = 0 OR (abs({v}.double_value) >= 1e-4 "
        f"AND abs({v}.double_value) < 1e16))) "
        f"OR ({v}.value = 'array_value' AND arrayAll(i -> i.value = 'string_value' "
        f"AND match(i.string_value, '^[ !#-\\\\[\\\\]-~]*$'), {v}.array_value.values)))"
    )


def _render(v: str) -> str:
    """otlp_values.render of an AnyValue that passed _value_ok (repr of a double: the
    shortest round-trip digits, '.0' added to integral values)."""
    return (
        f"multiIf({v}.value = 'string_value', {v}.string_value, "
        f"{v}.value = 'bool_value', if({v}.bool_value, 'true', 'false'), "
        f"{v}.value = 'int_value', toString({v}.int_value), "
        f"{v}.value = 'double_value', if({v}.double_value = floor({v}.double_value), "
        f"toString({v}.double_value) || '.0', toString({v}.double_value)), "
        f"{v}.value = 'array_value', '[' || arrayStringConcat(arrayMap(i -> '\"' || "
        f"i.string_value || '\"', {v}.array_value.values), ',') || ']', '')"
    )


def _attrs_ok(attrs: str) -> str:
    """Every value renders exactly and no key repeats (Python keeps the last, a Map both)."""
    return (
        f"(arrayAll(a -> {_value_ok('a.value')}, {attrs}) "
        f"AND length(arrayDistinct(arrayMap(a -> a.key, {attrs}))) = length({attrs}))"
    )


def _keys(attrs: str) -> str:
    return f"arrayMap(a -> a.key, {attrs})"


def _vals(attrs: str) -> str:
    return f"arrayMap(a -> {_render('a.value')}, {attrs})"


def staging_insert_sql(data_path: str, schema_path: str) -> str:
    """Decode the length-delimited requests in `data_path` into one staging row per span."""
    structure = REQUEST_STRUCTURE.replace("'", "\\'")
    res = "rs.resource.attributes"
    attrs = "sp.attributes"
    return f"""INSERT INTO {STAGING_TABLE}
SELECT req,
    toUInt8(span_ok AND {_attrs_ok(res)} AND {_attrs_ok(attrs)}
        AND arrayAll(e -> {_attrs_ok("e.attributes")}, sp.events)
        AND arrayAll(l -> {_attrs_ok("l.attributes")}, sp.links)) AS ok,
    {_vals(res)}[indexOf({_keys(res)}, 'service.name')] AS service_name,
    {_keys(res)} AS res_keys, {_vals(res)} AS res_vals,
    ss.scope.name, ss.scope.version,
    sp.trace_id, sp.span_id, sp.parent_span_id, sp.trace_state, sp.name, sp.kind,
    sp.start_time_unix_nano, sp.end_time_unix_nano,
    {_keys(attrs)}, arrayMap(a -> toString(a.value.value), {attrs}), {_vals(attrs)},
    arrayMap(a -> a.value.int_value, {attrs}), arrayMap(a -> a.value.double_value, {attrs}),
    arrayMap(a -> arrayMap(i -> i.string_value, a.value.array_value.values), {attrs}),
    sp.status.code, sp.status.message,
    arrayMap(e -> e.time_unix_nano, sp.events), arrayMap(e -> e.name, sp.events),
    arrayMap(e -> {_keys("e.attributes")}, sp.events),
    arrayMap(e -> arrayMap(a -> toString(a.value.value), e.attributes), sp.events),
    arrayMap(e -> {_vals("e.attributes")}, sp.events),
    arrayMap(e -> arrayMap(a -> a.value.int_value, e.attributes), sp.events),
    arrayMap(e -> arrayMap(a -> a.value.double_value, e.attributes), sp.events),
    arrayMap(l -> l.trace_id, sp.links), arrayMap(l -> l.span_id, sp.links),
    arrayMap(l -> l.trace_state, sp.links),
    arrayMap(l -> {_keys("l.attributes")}, sp.links),
    arrayMap(l -> {_vals("l.attributes")}, sp.links)
FROM (
    SELECT req, rs, ss, sp,
        length(sp.trace_id) = 16 AND sp.trace_id != repeat('\\0', 16)
        AND length(sp.span_id) = 8 AND sp.span_id != repeat('\\0', 8)
        AND length(sp.parent_span_id) IN (0, 8)
        AND sp.start_time_unix_nano != 0
        AND sp.end_time_unix_nano >= sp.start_time_unix_nano
        AND sp.end_time_unix_nano < 9223372036854775807
        AND arrayAll(l -> length(l.trace_id) = 16 AND length(l.span_id) = 8, sp.links)
        AS span_ok
    FROM file('{data_path}', 'Protobuf', '{structure}')
    ARRAY JOIN resource_spans AS rs ARRAY JOIN rs.scope_spans AS ss ARRAY JOIN ss.spans AS sp
)
SETTINGS input_format_protobuf_oneof_presence = 1,
    format_schema = '{schema_path}:ExportTraceServiceRequest'"""


# Typed reads of the span's attributes (staging columns keys/kinds/vals/ints/doubles/items),
# each with the condition under which it equals the Python accessor's result.
def _idx(key: str, prefix: str = "") -> str:
    return f"indexOf({prefix}keys, '{key}')"


def _kind(key: str, prefix: str = "") -> str:
    return f"{prefix}kinds[{_idx(key, prefix)}]"


def as_str(key: str, prefix: str = "") -> tuple[str, str]:
    return f"{prefix}vals[{_idx(key, prefix)}]", f"{_kind(key, prefix)} != 'array_value'"


def as_bool(key: str) -> tuple[str, str]:
    kind = _kind(key)
    value = f"vals[{_idx(key)}]"
    return (
        f"({kind} = 'bool_value' AND {value} = 'true') "
        f"OR ({kind} = 'string_value' AND lower({value}) = 'true')",
        f"{kind} IN ('', 'bool_value') "
        f"OR ({kind} = 'string_value' AND lower({value}) IN ('true', 'false'))",
    )


def as_int(key: str, maximum: int, prefix: str = "") -> tuple[str, str]:
    """Nullable: NULL when absent; only int values are converted here."""
    kind = _kind(key, prefix)
    value = f"{prefix}ints[{_idx(key, prefix)}]"
    return (
        f"if({kind} = '', NULL, {value})",
        f"{kind} = '' OR ({kind} = 'int_value' AND {value} BETWEEN 0 AND {maximum})",
    )


def as_float(key: str, prefix: str = "") -> tuple[str, str]:
    kind = _kind(key, prefix)
    idx = _idx(key, prefix)
    return (
        f"multiIf({kind} = 'double_value', {prefix}doubles[{idx}], {kind} = 'int_value', "
        f"toFloat64({prefix}ints[{idx}]), NULL)",
        f"{kind} IN ('', 'double_value', 'int_value')",
    )


def as_str_list(key: str) -> tuple[str, str]:
    kind = _kind(key)
    idx = _idx(key)
    return (
        f"multiIf({kind} = 'array_value', items[{idx}], "
        f"{kind} = 'string_value' AND vals[{idx}] != '', [vals[{idx}]], [])",
        f"{kind} IN ('', 'array_value', 'string_value')",
    )


def tokens(first: str, older: str = "") -> tuple[str, str]:
    new_value, new_ok = as_int(first, UINT32_MAX)
    if not older:
        return f"ifNull({new_value}, 0)", new_ok
    old_value, old_ok = as_int(older, UINT32_MAX)
    return f"ifNull(coalesce({new_value}, {old_value}), 0)", f"({new_ok}) AND ({old_ok})"


def _selection_columns() -> list[tuple[str, tuple[str, str]]]:
    """seat_selections column -> (SQL value, SQL condition under which it is exact)."""
    session = as_str("llm_council.session.id")
    conversation = as_str("gen_ai.conversation.id")
    finish = as_str_list("gen_ai.response.finish_reasons")
    attempts = as_int("llm_council.attempts", UINT16_MAX)
    routing_attempt = as_int("openrouter.routing.attempt", UINT16_MAX)
    return [
        ("event_time", ("fromUnixTimestamp64Micro(toInt64(intDiv(start, 1000)), 'UTC')", "1")),
        ("trace_id", ("lower(hex(trace_id))", "1")),
        ("span_id", ("lower(hex(span_id))", "1")),
        ("service_name", ("service_name", "1")),
        (
            "session_id",
            (
                f"if({session[0]} != '', {session[0]}, {conversation[0]})",
                f"({session[1]}) AND ({conversation[1]})",
            ),
        ),
        ("seat_id", as_str("llm_council.seat.id")),
        ("tier", as_str("llm_council.tier")),
        ("requested_model", as_str("gen_ai.request.model")),
        ("resolved_model", as_str("gen_ai.response.model")),
        ("provider", as_str("openrouter.provider")),
        ("generation_id", as_str("gen_ai.response.id")),
        ("pareto_applied", as_bool("openrouter.pareto.applied")),
        ("min_coding_score", as_float("openrouter.pareto.min_coding_score")),
        ("pareto_band", as_str("openrouter.pareto.band")),
        ("nitro", as_bool("openrouter.pareto.nitro")),
        ("pool_models", as_str_list("llm_council.pool.models")),
        ("duplicate_of_pool", as_bool("llm_council.duplicate_of_pool")),
        ("status", ("if(status_code = 2, 'error', 'ok')", "1")),
        ("error_type", as_str("error.type")),
        ("attempts", (f"ifNull({attempts[0]}, 1)", attempts[1])),
        ("latency_ms", ("toFloat64(end - start) / 1e6", "1")),
        ("ttft_ms", as_float("llm_council.time_to_first_token_ms")),
        ("streaming", as_bool("llm_council.streaming")),
        ("finish_reason", (f"({finish[0]})[1]", finish[1])),
        ("input_tokens", tokens("gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens")),
        ("output_tokens", tokens("gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens")),
        ("reasoning_tokens", tokens("gen_ai.usage.reasoning.output_tokens")),
        ("cached_tokens", tokens("gen_ai.usage.cache_read.input_tokens")),
        ("cost_usd", as_float("openrouter.cost_usd")),
        ("routing_strategy", as_str("openrouter.routing.strategy")),
        ("routing_attempt", (f"ifNull({routing_attempt[0]}, 0)", routing_attempt[1])),
    ]


def _review_columns() -> list[tuple[str, tuple[str, str]]]:
    """seat_reviews column -> (value, exactness condition) over ARRAY JOINed event arrays
    (ek/ekinds/evals/eints/edoubles) and the carrying span's attributes."""
    p = "e"

    def fallback(key: str) -> tuple[str, str]:
        own, own_ok = as_str(key, p)
        span, span_ok = as_str(key)
        return f"if({own} != '', {own}, {span})", f"({own_ok}) AND ({span_ok})"

    return [
        (
            "event_time",
            ("fromUnixTimestamp64Micro(toInt64(intDiv(if(et != 0, et, start), 1000)), 'UTC')", "1"),
        ),
        ("trace_id", ("lower(hex(trace_id))", "1")),
        ("span_id", ("lower(hex(span_id))", "1")),
        ("session_id", fallback("llm_council.session.id")),
        ("seat_id", fallback("llm_council.seat.id")),
        ("generation_id", as_str("gen_ai.response.id", p)),
        ("tier", fallback("llm_council.tier")),
        ("requested_model", as_str("gen_ai.request.model", p)),
        ("resolved_model", as_str("gen_ai.response.model", p)),
        ("reviewer", as_str("llm_council.review.reviewer", p)),
        ("score", as_float("gen_ai.evaluation.score.value", p)),
        ("rank", as_int("llm_council.review.rank", UINT16_MAX, p)),
        ("borda_points", as_float("llm_council.review.borda_points", p)),
    ]


_REVIEW_JOIN = (
    "ARRAY JOIN ev_time AS et, ev_name AS en, ev_keys AS ekeys, ev_kinds AS ekinds, "
    "ev_vals AS evals, ev_ints AS eints, ev_doubles AS edoubles"
)
_IS_SELECTION = (
    "kinds[indexOf(keys, 'gen_ai.operation.name')] = 'string_value' "
    "AND vals[indexOf(keys, 'gen_ai.operation.name')] IN ('chat', 'text_completion') "
    "AND (if(has(keys, 'gen_ai.provider.name'), "
    "kinds[indexOf(keys, 'gen_ai.provider.name')] = 'string_value' "
    "AND vals[indexOf(keys, 'gen_ai.provider.name')] = 'openrouter', "
    "kinds[indexOf(keys, 'gen_ai.system')] = 'string_value' "
    "AND vals[indexOf(keys, 'gen_ai.system')] = 'openrouter') "
    "OR (kinds[indexOf(keys, 'server.address')] = 'string_value' "
    "AND endsWith(vals[indexOf(keys, 'server.address')], 'openrouter.ai')))"
)


def inexact_requests_sql() -> str:
    """Request indexes with a span the SQL cannot map exactly (Python maps those), as one
    comma-separated string (one value: it runs as a command on the writer's client)."""
    selection_ok = " AND ".join(f"({ok})" for _, (_, ok) in _selection_columns())
    review_ok = " AND ".join(f"({ok})" for _, (_, ok) in _review_columns())
    return (
        "SELECT arrayStringConcat(arraySort(groupUniqArray(toString(req))), ',') FROM ("
        f"SELECT req FROM {STAGING_TABLE} WHERE NOT ok OR NOT ({selection_ok}) "
        f"UNION ALL SELECT req FROM {STAGING_TABLE} {_REVIEW_JOIN} "
        f"WHERE en = '{REVIEW_EVENT_NAME}' AND NOT ({review_ok}))"
    )


def _keep(excluded: str) -> str:
    return f"req NOT IN ({excluded})" if excluded else "1"


def traces_insert_sql(excluded: str) -> str:
    """otel_traces rows of the staged spans whose request index is not in `excluded`
    (a comma-separated list, or empty)."""
    return f"""INSERT INTO otel_traces (Timestamp, TraceId, SpanId, ParentSpanId, TraceState,
    SpanName, SpanKind, ServiceName, ResourceAttributes, ScopeName, ScopeVersion,
    SpanAttributes, Duration, StatusCode, StatusMessage, `Events.Timestamp`, `Events.Name`,
    `Events.Attributes`, `Links.TraceId`, `Links.SpanId`, `Links.TraceState`,
    `Links.Attributes`)
SELECT fromUnixTimestamp64Nano(toInt64(start), 'UTC'), lower(hex(trace_id)),
    lower(hex(span_id)), lower(hex(parent_span_id)), trace_state, name,
    transform(kind, [0, 1, 2, 3, 4, 5], ['Unspecified', 'Internal', 'Server', 'Client',
        'Producer', 'Consumer'], 'Unspecified'),
    service_name, mapFromArrays(res_keys, res_vals), scope_name, scope_version,
    mapFromArrays(keys, vals), end - start,
    transform(status_code, [0, 1, 2], ['Unset', 'Ok', 'Error'], 'Unset'), status_message,
    arrayMap(t -> fromUnixTimestamp64Nano(toInt64(t), 'UTC'), ev_time), ev_name,
    arrayMap((k, v) -> mapFromArrays(k, v), ev_keys, ev_vals),
    arrayMap(x -> lower(hex(x)), link_trace), arrayMap(x -> lower(hex(x)), link_span),
    link_state, arrayMap((k, v) -> mapFromArrays(k, v), link_keys, link_vals)
FROM {STAGING_TABLE} WHERE {_keep(excluded)}"""


def selections_insert_sql(excluded: str) -> str:
    columns = _selection_columns()
    names = ", ".join(name for name, _ in columns)
    values = ",\n    ".join(value for _, (value, _) in columns)
    return (
        f"INSERT INTO seat_selections ({names})\nSELECT {values}\n"
        f"FROM {STAGING_TABLE} WHERE {_keep(excluded)} AND {_IS_SELECTION}"
    )


def reviews_insert_sql(excluded: str) -> str:
    columns = _review_columns()
    names = ", ".join(name for name, _ in columns)
    values = ",\n    ".join(value for _, (value, _) in columns)
    return (
        f"INSERT INTO seat_reviews ({names})\nSELECT {values}\n"
        f"FROM {STAGING_TABLE} {_REVIEW_JOIN}\n"
        f"WHERE {_keep(excluded)} AND en = '{REVIEW_EVENT_NAME}'"
    )
