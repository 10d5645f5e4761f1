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

# The oneof's set field (input_format_protobuf_oneof_presence): its field number, 0 if unset.
_KINDS = "Int8"
_SCALARS = "string_value String, bool_value Bool, int_value Int64, double_value Float64"
# Only what the mapping reads: kvlist and bytes values are seen through the oneof's kind
# alone (they always fall back), array items through their kind and string.
_LEAF = f"Tuple(value {_KINDS}, string_value String)"
_ANY = f"Tuple(value {_KINDS}, {_SCALARS}, array_value Tuple(values Array({_LEAF})))"
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

# AnyValue kinds as stored in the staging table's `kinds` columns (the oneof's field numbers).
STRING, BOOL, INT, DOUBLE, ARRAY = 1, 2, 3, 4, 5

STAGING_DDL = f"""CREATE TABLE {STAGING_TABLE} (
    req UInt32, ok UInt8, service_name String,
    res_keys Array(String), res_vals Array(String), scope_name String, scope_version String,
    trace_id String, span_id String, parent_span_id String, trace_state String, name String,
    kind Int32, start UInt64, end UInt64,
    keys Array(String), kinds Array(Int8), vals Array(String), ints Array(Int64),
    doubles Array(Float64), items Array(Array(String)),
    status_code Int32, status_message String,
    ev_time Array(UInt64), ev_name Array(String), ev_keys Array(Array(String)),
    ev_kinds Array(Array(Int8)), ev_vals Array(Array(String)), ev_ints Array(Array(Int64)),
    ev_doubles Array(Array(Float64)),
    link_trace Array(String), link_span Array(String), link_state Array(String),
    link_keys Array(Array(String)), link_vals Array(Array(String))
) ENGINE = Memory"""

# The query plan is not optimised: nothing here gains from it, and planning these large
# expressions costs more than running them on a few thousand spans.
UNPLANNED = "query_plan_enable_optimizations = 0"
# The staging insert and the exactness check also evaluate every expression on all rows (no
# short-circuit masks: measured faster here; none of their functions can fail on the values
# of an unused branch). Not the inserts into the tables: their materialized views run with
# the insert's settings.
EAGER = f"short_circuit_function_evaluation = 'disable', {UNPLANNED}"


# An attribute list is read as parallel arrays of subcolumns (no lambda over the tuples):
# cheaper to run, and much cheaper for the analyzer than lambdas over the nested types.
_PARTS = {
    "keys": "{x}.key",
    "kinds": "{x}.value.value",
    "strs": "{x}.value.string_value",
    "bools": "{x}.value.bool_value",
    "ints": "{x}.value.int_value",
    "doubles": "{x}.value.double_value",
    "items": "{x}.value.array_value.values.string_value",
    "ikinds": "{x}.value.array_value.values.value",
}


def _read(source: str, prefix: str) -> str:
    """The subcolumns of the KeyValue list(s) `source` as `{prefix}keys`, `{prefix}kinds`..."""
    return ", ".join(f"{part.format(x=source)} AS {prefix}{name}" for name, part in _PARTS.items())


def _ok(p: str) -> str:
    """Every value of the attribute list read as `{p}keys`, ... renders exactly as
    otlp_values.render does and no key repeats (Python keeps the last, a Map both): kinds
    string/bool/int/double/array only; doubles only in Python's positional range
    (1e-4 <= |x| < 1e16, or 0; a value of another kind reads 0); array items only strings
    of printable ASCII without quote or backslash (JSON-quoted by adding quotes)."""
    return (
        f"(arrayAll((k, d) -> k BETWEEN {STRING} AND {ARRAY} AND (d = 0 OR (abs(d) >= 1e-4 "
        f"AND abs(d) < 1e16)), {p}kinds, {p}doubles) "
        f"AND arrayAll(k -> k = {STRING}, arrayFlatten({p}ikinds)) "
        f"AND match(arrayStringConcat(arrayFlatten({p}items)), '^[ !#-\\\\[\\\\]-~]*$') "
        f"AND arrayUniq({p}keys) = length({p}keys))"
    )


def _vals(p: str) -> str:
    """otlp_values.render of each value of a list that passed _ok, picked by kind (repr of
    a double: the shortest round-trip digits, '.0' added to integral values)."""
    return (
        "arrayMap((k, s, b, i, d, it) -> [s, if(b, 'true', 'false'), toString(i), "
        "if(d = floor(d), toString(d) || '.0', toString(d)), "
        "if(empty(it), '[]', '[\"' || arrayStringConcat(it, '\",\"') || '\"]')][k], "
        f"{p}kinds, {p}strs, {p}bools, {p}ints, {p}doubles, {p}items)"
    )


def _nested(function: str, expr: str, p: str, names: tuple[str, ...]) -> str:
    """`function` of `expr` (written over list `x`) over the nested lists `{p}...`: one list
    per event or link."""
    params = ", ".join(f"x{name}" for name in names)
    columns = ", ".join(f"{p}{name}" for name in names)
    return f"{function}(({params}) -> {expr}, {columns})"


_OK_PARTS = ("keys", "kinds", "doubles", "ikinds", "items")
_VAL_PARTS = ("kinds", "strs", "bools", "ints", "doubles", "items")


# Staging columns of a flush whose spans have no events and no links: reading those lists
# costs planning time on every flush (the staging columns take the empty arrays as they are).
_NO_EVENTS_OR_LINKS = "[], [], [], [], [], [], [], [], [], [], [], []"


def _events_and_links(with_them: bool) -> tuple[str, str, str, str]:
    """(checks, staging columns, subcolumn reads, id checks) of the spans' events and links."""
    if not with_them:
        return "", _NO_EVENTS_OR_LINKS, "", ""
    return (
        f"""
        AND {_nested("arrayAll", _ok("x"), "e_", _OK_PARTS)}
        AND {_nested("arrayAll", _ok("x"), "l_", _OK_PARTS)}""",
        f"""ev_time, ev_name, e_keys, e_kinds,
    {_nested("arrayMap", _vals("x"), "e_", _VAL_PARTS)}, e_ints, e_doubles,
    link_trace, link_span, link_state, l_keys,
    {_nested("arrayMap", _vals("x"), "l_", _VAL_PARTS)}""",
        f"""
        sp.events.time_unix_nano AS ev_time, sp.events.name AS ev_name,
        sp.links.trace_id AS link_trace, sp.links.span_id AS link_span,
        sp.links.trace_state AS link_state,
        {_read("sp.events.attributes", "e_")},
        {_read("sp.links.attributes", "l_")},""",
        "\n        AND arrayAll(t -> length(t) = 16, link_trace)"
        " AND arrayAll(s -> length(s) = 8, link_span)",
    )


def staging_insert_sql(data_path: str, schema_path: str, events_or_links: bool = True) -> str:
    """Decode the length-delimited requests in `data_path` into one staging row per span;
    `ok` = 0 marks a span the SQL cannot map exactly (its request goes through Python).
    `events_or_links` False: no span of the batch has an event or a link."""
    structure = REQUEST_STRUCTURE.replace("'", "\\'")
    checks, columns, reads, link_ids = _events_and_links(events_or_links)
    return f"""INSERT INTO {STAGING_TABLE}
SELECT req,
    toUInt8(span_ok AND {_ok("r_")} AND {_ok("s_")}{checks}) AS ok,
    res_vals[indexOf(r_keys, 'service.name')], r_keys, {_vals("r_")} AS res_vals,
    scope_name, scope_version, trace_id, span_id, parent_span_id, trace_state, name, kind,
    start, end, s_keys, s_kinds, {_vals("s_")}, s_ints, s_doubles, s_items,
    status_code, status_message, {columns}
FROM (
    SELECT req, ss.scope.name AS scope_name, ss.scope.version AS scope_version,
        sp.trace_id AS trace_id, sp.span_id AS span_id, sp.parent_span_id AS parent_span_id,
        sp.trace_state AS trace_state, sp.name AS name, sp.kind AS kind,
        sp.start_time_unix_nano AS start, sp.end_time_unix_nano AS end,
        sp.status.code AS status_code, sp.status.message AS status_message,{reads}
        {_read("rs.resource.attributes", "r_")},
        {_read("sp.attributes", "s_")},
        length(trace_id) = 16 AND trace_id != repeat('\\0', 16)
        AND length(span_id) = 8 AND span_id != repeat('\\0', 8)
        AND length(parent_span_id) IN (0, 8) AND start != 0 AND end >= start
        AND end < 9223372036854775807{link_ids}
        AS span_ok
    FROM file('{data_path}', 'Protobuf', '{structure}')
    ARRAY JOIN resource_spans AS rs ARRAY JOIN rs.scope_spans AS ss ARRAY JOIN ss.spans AS sp
)
SETTINGS input_format_protobuf_oneof_presence = 1, {EAGER},
    format_schema = '{schema_path}:ExportTraceServiceRequest'"""


# Typed reads of the span's attributes (staging columns keys/kinds/vals/ints/doubles/items),
# each with the condition under which it equals the Python accessor's result. An absent key
# reads kind 0 (a present value of kind 0 never passes _ok).
def _idx(key: str, prefix: str = "") -> str:
    return f"indexOf({prefix}keys, '{key}')"


def _kind(key: str, prefix: str = "") -> str:
    return f"{prefix}kinds[{_idx(key, prefix)}]"


def as_str(key: str, prefix: str = "") -> tuple[str, str]:
    return f"{prefix}vals[{_idx(key, prefix)}]", f"{_kind(key, prefix)} != {ARRAY}"


def as_bool(key: str) -> tuple[str, str]:
    kind = _kind(key)
    value = f"vals[{_idx(key)}]"
    return (
        f"({kind} = {BOOL} AND {value} = 'true') "
        f"OR ({kind} = {STRING} AND lower({value}) = 'true')",
        f"{kind} IN (0, {BOOL}) OR ({kind} = {STRING} AND lower({value}) IN ('true', 'false'))",
    )


def as_int(key: str, maximum: int, prefix: str = "") -> tuple[str, str]:
    """Nullable: NULL when absent; only int values are converted here."""
    kind = _kind(key, prefix)
    value = f"{prefix}ints[{_idx(key, prefix)}]"
    return (
        f"if({kind} = 0, NULL, {value})",
        f"{kind} = 0 OR ({kind} = {INT} AND {value} BETWEEN 0 AND {maximum})",
    )


def as_float(key: str, prefix: str = "") -> tuple[str, str]:
    kind = _kind(key, prefix)
    idx = _idx(key, prefix)
    return (
        f"multiIf({kind} = {DOUBLE}, {prefix}doubles[{idx}], {kind} = {INT}, "
        f"toFloat64({prefix}ints[{idx}]), NULL)",
        f"{kind} IN (0, {DOUBLE}, {INT})",
    )


def as_str_list(key: str) -> tuple[str, str]:
    kind = _kind(key)
    idx = _idx(key)
    return (
        f"multiIf({kind} = {ARRAY}, items[{idx}], "
        f"{kind} = {STRING} AND vals[{idx}] != '', [vals[{idx}]], [])",
        f"{kind} IN (0, {ARRAY}, {STRING})",
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
    f"kinds[indexOf(keys, 'gen_ai.operation.name')] = {STRING} "
    "AND vals[indexOf(keys, 'gen_ai.operation.name')] IN ('chat', 'text_completion') "
    "AND (if(has(keys, 'gen_ai.provider.name'), "
    f"kinds[indexOf(keys, 'gen_ai.provider.name')] = {STRING} "
    "AND vals[indexOf(keys, 'gen_ai.provider.name')] = 'openrouter', "
    f"kinds[indexOf(keys, 'gen_ai.system')] = {STRING} "
    "AND vals[indexOf(keys, 'gen_ai.system')] = 'openrouter') "
    f"OR (kinds[indexOf(keys, 'server.address')] = {STRING} "
    "AND endsWith(vals[indexOf(keys, 'server.address')], 'openrouter.ai')))"
)


def inexact_requests_sql(events: bool = True) -> str:
    """Request indexes with a span the SQL cannot map exactly (Python maps those), as one
    comma-separated string (one value: it runs as a command on the writer's client).
    `events` False: no staged span has an event (no review to check)."""
    selection_ok = " AND ".join(f"({ok})" for _, (_, ok) in _selection_columns())
    review_ok = " AND ".join(f"({ok})" for _, (_, ok) in _review_columns())
    reviews = (
        f"UNION ALL SELECT req FROM {STAGING_TABLE} {_REVIEW_JOIN} "
        f"WHERE en = '{REVIEW_EVENT_NAME}' AND NOT ({review_ok})"
        if events
        else ""
    )
    return (
        "SELECT arrayStringConcat(arraySort(groupUniqArray(toString(req))), ',') FROM ("
        f"SELECT req FROM {STAGING_TABLE} WHERE NOT ok OR NOT ({selection_ok}) "
        f"{reviews}) SETTINGS {EAGER}"
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
FROM {STAGING_TABLE} WHERE {_keep(excluded)}
SETTINGS {UNPLANNED}"""


def selections_insert_sql(excluded: str) -> str:
    columns = _selection_columns()
    names = ", ".join(name for name, _ in columns)
    values = ",\n    ".join(value for _, (value, _) in columns)
    return (
        f"INSERT INTO seat_selections ({names})\nSELECT {values}\n"
        f"FROM {STAGING_TABLE} WHERE {_keep(excluded)} AND {_IS_SELECTION}\n"
        f"SETTINGS {UNPLANNED}"
    )


def reviews_insert_sql(excluded: str) -> str:
    columns = _review_columns()
    names = ", ".join(name for name, _ in columns)
    values = ",\n    ".join(value for _, (value, _) in columns)
    return (
        f"INSERT INTO seat_reviews ({names})\nSELECT {values}\n"
        f"FROM {STAGING_TABLE} {_REVIEW_JOIN}\n"
        f"WHERE {_keep(excluded)} AND en = '{REVIEW_EVENT_NAME}'\n"
        f"SETTINGS {UNPLANNED}"
    )
