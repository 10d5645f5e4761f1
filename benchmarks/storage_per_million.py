"""Bytes on disk per million seat selections, measured on the embedded engine (chDB).

    .venv/bin/python -m benchmarks.storage_per_million [--rows 1000000] [--json out.json]

Applies the project's own migrations (telemetry_service.migrate) to a fresh chDB directory,
inserts N synthetic but realistic selections with one INSERT ... SELECT FROM numbers(N)
(tiers, pools and the Pareto seat from router_service/data/tiers.yaml, a drifting Pareto
shortlist, council sessions of 4 rounds x 4 parallel seats, log-uniform latencies, token counts and
costs), derives the matching raw spans into otel_traces from those rows (the receiver stores
every span twice: raw and as a selection), runs OPTIMIZE ... FINAL and reads
system.parts (active parts). The materialised rollups fill as on the live path.

The figures go to stdout as a table (and to --json); docs/scaling.md quotes them.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import shutil
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from importlib import metadata, resources
from pathlib import Path
from typing import Any

import yaml

log = logging.getLogger("benchmarks.storage_per_million")

# Synthetic rows are spread over the last 29 days so that neither TTL (raw spans 30 d,
# selections 400 d by default) removes them during OPTIMIZE FINAL.
SPREAD_S = 29 * 86_400
# A council round seats the tier's three pool models plus one more seat (the Pareto Router
# in tiers with pareto_seat, else a second sample of the first pool model), in parallel.
SEATS_PER_ROUND = 4
ROUNDS_PER_SESSION = 4
# Rough share of calls per tier in a council deployment (sums to 100).
TIER_WEIGHTS = (("quick", 30), ("balanced", 30), ("high", 20), ("reasoning", 10), ("frontier", 10))
# What the Pareto Router may resolve to per band; the list shifts every 3 days (drift).
# (The same ids as the simulator's default frontier, openrouter_sim/default_schedule.py.)
PARETO_SHORTLIST = {
    "low": ["deepseek/deepseek-v3.2", "qwen/qwen3-coder", "x-ai/grok-code-fast-1"],
    "medium": ["minimax/minimax-m2.1", "z-ai/glm-4.7", "deepseek/deepseek-v3.2"],
    "high": ["google/gemini-3.1-pro-preview", "openai/gpt-5.4", "anthropic/claude-opus-4.7"],
}
PROVIDERS = {
    "anthropic": ["Anthropic", "Google Vertex", "Amazon Bedrock"],
    "openai": ["OpenAI", "Azure"],
    "google": ["Google AI Studio", "Google Vertex"],
    "deepseek": ["DeepInfra", "Fireworks", "DeepSeek"],
    "qwen": ["Alibaba", "DeepInfra", "Together"],
    "moonshotai": ["Moonshot AI", "Groq"],
    "x-ai": ["xAI"],
    "z-ai": ["Z.AI", "DeepInfra"],
    "minimax": ["Minimax", "Novita"],
}
ERROR_TYPES = ["UPSTREAM_RATE_LIMITED", "UPSTREAM_UNAVAILABLE", "DEADLINE_EXCEEDED"]


@dataclass(frozen=True)
class TableSize:
    table: str
    rows: int
    parts: int
    bytes_on_disk: int
    compressed_bytes: int
    uncompressed_bytes: int


def _sql_str(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _sql_array(values: Sequence[str]) -> str:
    return "[" + ", ".join(_sql_str(v) for v in values) + "]"


def load_tiers() -> dict[str, Any]:
    text = (resources.files("router_service") / "data" / "tiers.yaml").read_text()
    doc = yaml.safe_load(text)
    assert isinstance(doc, dict)
    return doc


def selection_insert_sql(rows: int, tiers_doc: dict[str, Any]) -> str:
    """One INSERT ... SELECT FROM numbers(rows) into seat_selections (pure, deterministic)."""
    tiers = tiers_doc["tiers"]
    pareto_model = tiers_doc["pareto"]["model"]
    names = [name for name, _weight in TIER_WEIGHTS]
    cumulative: list[int] = []
    total = 0
    for _name, weight in TIER_WEIGHTS:
        total += weight
        cumulative.append(total)
    # tier index from a hash in 0..99, by cumulative weight
    rounds = max(1, rows // SEATS_PER_ROUND)
    tier_idx = " + ".join(f"(h_tier >= {c})" for c in cumulative[:-1])
    pools = "[" + ", ".join(_sql_array(tiers[n]["pool"]) for n in names) + "]"
    scores = (
        "["
        + ", ".join(
            "NULL"
            if tiers[n].get("min_coding_score") is None
            else str(tiers[n]["min_coding_score"])
            for n in names
        )
        + "]"
    )
    pareto_seat = "[" + ", ".join("1" if tiers[n].get("pareto_seat") else "0" for n in names) + "]"
    shortlist = (
        "[" + ", ".join(_sql_array(PARETO_SHORTLIST[b]) for b in ("low", "medium", "high")) + "]"
    )
    families = list(PROVIDERS)
    providers = "[" + ", ".join(_sql_array(PROVIDERS[f]) for f in families) + "]"
    return f"""
INSERT INTO seat_selections (
    event_time, trace_id, span_id, service_name, session_id, seat_id, tier, requested_model,
    resolved_model, provider, generation_id, pareto_applied, min_coding_score, pareto_band,
    nitro, pool_models, duplicate_of_pool, status, error_type, attempts, latency_ms, ttft_ms,
    streaming, finish_reason, input_tokens, output_tokens, reasoning_tokens, cached_tokens,
    cost_usd, routing_strategy, routing_attempt)
WITH
    number AS n,
    intDiv(n, {SEATS_PER_ROUND}) AS round_no,
    intDiv(round_no, {ROUNDS_PER_SESSION}) AS session_no,
    n % {SEATS_PER_ROUND} AS seat_no,
    cityHash64(session_no, 'tier') % 100 AS h_tier,
    {tier_idx} + 1 AS ti,
    {_sql_array(names)}[ti] AS tier_name,
    {pools}[ti] AS pool,
    {scores}[ti] AS score,
    {pareto_seat}[ti] = 1 AS has_pareto,
    has_pareto AND seat_no = {SEATS_PER_ROUND - 1} AS is_pareto,
    multiIf(score IS NULL, 'high', score >= 0.66, 'high', score >= 0.33, 'medium', 'low') AS band,
    indexOf(['low', 'medium', 'high'], band) AS bi,
    now64(6) - toIntervalMicrosecond(({SPREAD_S} * 1000000 * (round_no + 1)) DIV {rounds}
        - cityHash64(n, 'jitter') % 2000000) AS t,
    intDiv(toUnixTimestamp(t), 259200) AS epoch,
    cityHash64(n, 'nitro') % 10 = 0 AS is_nitro,
    if(is_pareto, concat({_sql_str(pareto_model)}, if(is_nitro, ':nitro', '')),
       pool[(seat_no % length(pool)) + 1]) AS requested,
    {shortlist}[bi] AS candidates,
    if(is_pareto,
       candidates[((epoch + if(cityHash64(session_no, 'p') % 4 = 0, 1, 0))
                   % length(candidates)) + 1],
       requested) AS resolved,
    splitByChar('/', resolved)[1] AS family,
    if(has({_sql_array(families)}, family),
       {providers}[indexOf({_sql_array(families)}, family)], ['OpenRouter']) AS family_providers,
    cityHash64(n, 'status') % 100 < 2 AS failed,
    exp(7.2 + (cityHash64(n, 'lat') % 10000) / 10000.0 * 2.4) AS latency,
    cityHash64(n, 'stream') % 10 < 4 AS is_streaming,
    toUInt32(300 + cityHash64(round_no, 'in') % 12000) AS tokens_in,
    toUInt32(if(failed, 0, 60 + cityHash64(n, 'out') % 3000)) AS tokens_out,
    toUInt32(if(tier_name = 'reasoning' AND NOT failed, tokens_out * 2, 0)) AS tokens_reasoning,
    toUInt32(if(cityHash64(n, 'cache') % 3 = 0, tokens_in * 0.6, 0)) AS tokens_cached
SELECT
    t,
    lower(hex(sipHash128(round_no, 'trace'))),
    lower(hex(cityHash64(n, 'span'))),
    'router-service',
    toString(reinterpretAsUUID(sipHash128(session_no, 'session'))),
    concat('seat-', toString(seat_no + 1)),
    tier_name,
    requested,
    if(failed, '', resolved),
    if(failed, '', family_providers[(cityHash64(n, 'prov') % length(family_providers)) + 1]),
    if(failed, '', concat('gen-', toString(toUnixTimestamp(t)), '-',
        substring(base64Encode(reinterpretAsString(sipHash128(n, 'gen'))), 1, 20))),
    is_pareto,
    if(is_pareto, score, NULL),
    if(is_pareto, band, ''),
    is_pareto AND is_nitro,
    if(is_pareto, pool, []),
    is_pareto AND NOT failed AND has(pool, resolved),
    if(failed, 'error', 'ok'),
    if(failed, ERROR_TYPES_ARRAY[(cityHash64(n, 'err') % 3) + 1], ''),
    toUInt16(multiIf(cityHash64(n, 'att') % 1000 < 5, 3, cityHash64(n, 'att') % 1000 < 35, 2, 1)),
    round(latency, 3),
    if(is_streaming AND NOT failed,
       round(latency * (0.08 + (cityHash64(n, 'tt') % 200) / 1000.0), 3), NULL),
    is_streaming,
    if(failed, 'error', if(cityHash64(n, 'fin') % 100 < 7, 'length', 'stop')),
    tokens_in,
    tokens_out,
    tokens_reasoning,
    tokens_cached,
    if(failed, NULL, round((tokens_in * 1.25 + (tokens_out + tokens_reasoning) * 10.0) / 1e6
        * (0.2 + (cityHash64(resolved) % 30) / 10.0), 9)),
    if(is_pareto, 'pareto', ''),
    toUInt16(if(is_pareto, 1, 0))
FROM numbers({rows})
""".replace("ERROR_TYPES_ARRAY", _sql_array(ERROR_TYPES))


# The raw span the router sends for each selection (docs/telemetry-attributes.md), rebuilt
# from the selection row so the two tables describe the same calls.
RAW_SPANS_SQL = """
INSERT INTO otel_traces (
    Timestamp, TraceId, SpanId, ParentSpanId, TraceState, SpanName, SpanKind, ServiceName,
    ResourceAttributes, ScopeName, ScopeVersion, SpanAttributes, Duration, StatusCode,
    StatusMessage)
SELECT
    event_time,
    trace_id,
    span_id,
    '',
    '',
    concat('chat ', requested_model),
    'Client',
    service_name,
    map('service.name', service_name, 'service.version', '0.1.0',
        'service.instance.id',
        toString(reinterpretAsUUID(sipHash128(cityHash64(span_id) % 8, 'instance'))),
        'telemetry.sdk.language', 'python', 'telemetry.sdk.name', 'opentelemetry',
        'telemetry.sdk.version', '1.45.2'),
    'router_service',
    '0.1.0',
    mapFilter((k, v) -> v != '', map(
        'gen_ai.operation.name', 'chat',
        'gen_ai.provider.name', 'openrouter',
        'gen_ai.request.model', requested_model,
        'gen_ai.response.model', resolved_model,
        'gen_ai.response.id', generation_id,
        'gen_ai.response.finish_reasons', concat('["', finish_reason, '"]'),
        'gen_ai.conversation.id', session_id,
        'gen_ai.usage.input_tokens', toString(input_tokens),
        'gen_ai.usage.output_tokens', toString(output_tokens),
        'gen_ai.usage.cache_read.input_tokens', toString(cached_tokens),
        'gen_ai.usage.reasoning.output_tokens', toString(reasoning_tokens),
        'error.type', error_type,
        'server.address', 'openrouter.ai',
        'server.port', '443',
        'llm_council.tier', tier,
        'llm_council.session.id', session_id,
        'llm_council.seat.id', seat_id,
        'llm_council.pool.models', if(empty(pool_models), '', toJSONString(pool_models)),
        'llm_council.duplicate_of_pool', if(duplicate_of_pool, 'true', 'false'),
        'llm_council.attempts', toString(attempts),
        'llm_council.streaming', if(streaming, 'true', 'false'),
        'llm_council.time_to_first_token_ms', ifNull(toString(ttft_ms), ''),
        'openrouter.provider', provider,
        'openrouter.cost_usd', ifNull(toString(cost_usd), ''),
        'openrouter.pareto.applied', if(pareto_applied, 'true', 'false'),
        'openrouter.pareto.min_coding_score', ifNull(toString(min_coding_score), ''),
        'openrouter.pareto.band', pareto_band,
        'openrouter.pareto.nitro', if(nitro, 'true', 'false'),
        'openrouter.routing.strategy', routing_strategy,
        'openrouter.routing.attempt', if(routing_attempt = 0, '', toString(routing_attempt)))),
    toUInt64(latency_ms * 1e6),
    if(status = 'ok', 'Unset', 'Error'),
    error_type
FROM seat_selections
"""

COLUMNS_SQL = """
SELECT name, data_compressed_bytes, data_uncompressed_bytes
FROM system.columns
WHERE database = currentDatabase() AND table = 'seat_selections'
ORDER BY data_compressed_bytes DESC
"""

SIZES_SQL = """
SELECT table, sum(rows), count(), sum(bytes_on_disk), sum(data_compressed_bytes),
       sum(data_uncompressed_bytes)
FROM system.parts
WHERE active AND database = currentDatabase()
GROUP BY table
ORDER BY table
"""


def apply_schema(client: Any) -> None:
    from telemetry_service.migrate import apply_migrations, load_migrations, plan, ttl_params

    steps = plan(load_migrations(), ttl_params(raw_ttl_days=30, selections_ttl_days=400))
    apply_migrations(
        lambda sql, params: client.command(sql, parameters=params),
        lambda sql: list(client.query(sql).result_rows),
        steps,
    )


def measure(path: Path, rows: int) -> dict[str, Any]:
    import clickhouse_connect

    client = clickhouse_connect.get_client(dsn=f"chdb://{path}")
    try:
        apply_schema(client)
        started = time.monotonic()
        client.command(selection_insert_sql(rows, load_tiers()))
        selections_s = time.monotonic() - started
        started = time.monotonic()
        client.command(RAW_SPANS_SQL)
        raw_s = time.monotonic() - started
        for table in (
            "seat_selections",
            "otel_traces",
            "selection_rollup_1m",
            "selection_rollup_1h",
        ):
            client.command(f"OPTIMIZE TABLE {table} FINAL")
        sizes = [
            TableSize(str(r[0]), *(int(v) for v in r[1:]))
            for r in client.query(SIZES_SQL).result_rows
        ]
        columns = [
            {"column": str(r[0]), "compressed_bytes": int(r[1]), "uncompressed_bytes": int(r[2])}
            for r in client.query(COLUMNS_SQL).result_rows
        ]
        engine = str(client.command("SELECT version()"))
        distinct = client.query(
            "SELECT uniqExact(session_id), uniqExact(resolved_model), "
            "countIf(pareto_applied), countIf(status = 'error') FROM seat_selections"
        ).result_rows[0]
    finally:
        client.close()
    return {
        "rows": rows,
        "insert_seconds": {
            "seat_selections": round(selections_s, 2),
            "otel_traces": round(raw_s, 2),
        },
        "tables": [asdict(s) for s in sizes],
        "seat_selections_columns": columns,
        "shape": {
            "sessions": int(distinct[0]),
            "resolved_models": int(distinct[1]),
            "pareto_rows": int(distinct[2]),
            "error_rows": int(distinct[3]),
        },
        "engine_version": engine,
        "machine": describe_machine(),
    }


def describe_machine() -> dict[str, Any]:
    cpu = platform.processor()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    versions = {}
    for dist in ("chdb", "clickhouse-connect"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = ""
    return {
        "date_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpu_model": cpu,
        "nproc": os.cpu_count(),
        "python": platform.python_version(),
        "kernel": platform.release(),
        **versions,
    }


def per_million(result: dict[str, Any]) -> list[tuple[str, float, float, float]]:
    """(table, MiB on disk, MiB compressed, MiB uncompressed) per 1,000,000 selections."""
    scale = 1_000_000 / result["rows"] / (1024 * 1024)
    return [
        (
            t["table"],
            t["bytes_on_disk"] * scale,
            t["compressed_bytes"] * scale,
            t["uncompressed_bytes"] * scale,
        )
        for t in result["tables"]
        if t["rows"]
    ]


def format_table(result: dict[str, Any]) -> str:
    lines = [
        f"{result['rows']:,} selections on ClickHouse {result['engine_version']} (chDB "
        f"{result['machine']['chdb']}), {result['machine']['date_utc']}, "
        f"{result['machine']['cpu_model']} x{result['machine']['nproc']}",
        "",
        "| table | rows | MiB on disk / 1M sel. | MiB compressed / 1M "
        "| MiB uncompressed / 1M | ratio |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    rows_by_table = {t["table"]: t["rows"] for t in result["tables"]}
    for table, disk, comp, raw in per_million(result):
        ratio = raw / comp if comp else 0.0
        lines.append(
            f"| {table} | {rows_by_table[table]:,} | {disk:.1f} | {comp:.1f} "
            f"| {raw:.1f} | {ratio:.1f}x |"
        )
    lines += ["", "seat_selections, largest columns (bytes per selection, compressed):"]
    for col in result["seat_selections_columns"][:8]:
        lines.append(f"  {col['column']}: {col['compressed_bytes'] / result['rows']:.1f}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="storage_per_million", description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="selections to insert")
    parser.add_argument("--path", type=Path, help="chDB data directory (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the data directory")
    parser.add_argument("--json", type=Path, help="also write the full result here")
    args = parser.parse_args(argv)
    if args.rows < 1_000:
        parser.error("--rows: must be at least 1000")
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    workdir = args.path or Path(tempfile.mkdtemp(prefix="storage-per-million-"))
    if args.path and any(args.path.iterdir() if args.path.exists() else []):
        parser.error(f"--path: {args.path} must be empty or missing")
    try:
        log.info("measuring %d selections in %s", args.rows, workdir)
        result = measure(workdir.resolve(), args.rows)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    print(format_table(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
