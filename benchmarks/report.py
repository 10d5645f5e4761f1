"""Plain-text tables of a run's results (what the runner prints and docs/benchmarks.md quotes)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

_MET: dict[object, str] = {True: "yes", False: "NO"}


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    cells = [[str(h) for h in headers]] + [["" if c is None else str(c) for c in r] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = [
        "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"
        for row in cells
    ]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def gateway_tables(gw: Mapping[str, Any]) -> str:
    parts: list[str] = []
    lat = gw.get("latency_c1", {})
    added = gw.get("added_latency_c1", {})
    rows = []
    for name, r in lat.items():
        a = added.get(name, {})
        rows.append(
            [
                name,
                r.get("requests"),
                r.get("status_2xx"),
                r.get("latency_ms_p50"),
                r.get("latency_ms_p99"),
                a.get("p50_ms"),
                a.get("p99_ms"),
                a.get("baseline"),
            ]
        )
    parts.append("Latency at concurrency 1 (fast mock), ms")
    parts.append(
        table(
            ["target", "requests", "2xx", "p50", "p99", "added p50", "added p99", "baseline"], rows
        )
    )
    rows = []
    for name, r in gw.get("throughput_c64", {}).items():
        mem = gw.get("memory", {}).get(name, {})
        rows.append(
            [
                name,
                r.get("requests"),
                r.get("status_2xx"),
                r.get("failed"),
                r.get("req_per_s"),
                r.get("latency_ms_p50"),
                r.get("latency_ms_p99"),
                r.get("gateway_cpu_s"),
                r.get("req_per_gateway_cpu_s"),
                mem.get("peak_rss_mib_sum"),
            ]
        )
    parts.append("\nThroughput at concurrency 64 (mock answers after 20 ms)")
    parts.append(
        table(
            [
                "target",
                "requests",
                "2xx",
                "failed",
                "req/s",
                "p50 ms",
                "p99 ms",
                "gw CPU s",
                "req/CPU-s",
                "peak RSS MiB",
            ],
            rows,
        )
    )
    ghz = gw.get("ghz_c64", {})
    if ghz:
        parts.append("\nghz (gRPC status of every call) at concurrency 64")
        parts.append(
            table(
                ["target", "count", "req/s", "status codes", "p50 ms", "p99 ms"],
                [
                    [
                        n,
                        g.get("count"),
                        g.get("rps"),
                        g.get("status_codes"),
                        g.get("latency_ms_p50"),
                        g.get("latency_ms_p99"),
                    ]
                    for n, g in ghz.items()
                ],
            )
        )
    failures = gw.get("failures", {})
    if failures:
        parts.append("\nFailed steps: " + "; ".join(f"{k}: {v}" for k, v in failures.items()))
    return "\n".join(parts)


def render(results: Mapping[str, Any], target_rows: Sequence[Mapping[str, object]]) -> str:
    parts = []
    machine = results.get("machine", {})
    parts.append(
        f"{machine.get('date_utc')}  nproc={machine.get('nproc')}  {machine.get('cpu_model')}  "
        f"{machine.get('memory_gib')} GiB\n{machine.get('uptime')}"
    )
    if "gateways" in results:
        parts.append(gateway_tables(results["gateways"]))
    if "ingest" in results:
        parts.append(ingest_table(results["ingest"]))
    if "drift" in results:
        parts.append(drift_table(results["drift"]))
    if "full_stack" in results:
        parts.append(full_stack_table(results["full_stack"]))
    parts.append("\nTargets")
    parts.append(
        table(
            ["target", "value", "limit", "met"],
            [
                [
                    r["target"],
                    r["value"],
                    r["limit"],
                    _MET.get(r["met"], "n/a"),
                ]
                for r in target_rows
            ],
        )
    )
    return "\n".join(parts)


def _error_or(section: Mapping[str, Any], title: str) -> str | None:
    if "error" in section:
        return f"\n{title}: FAILED: {section['error']}"
    return None


def ingest_table(ingest: Mapping[str, Any]) -> str:
    failed = _error_or(ingest, "Ingest")
    if failed:
        return failed
    lim = ingest.get("direct_insert", {})
    default = ingest.get("default_ingest_mode")
    runs = [(k.removeprefix("service_"), v) for k, v in ingest.items() if k.startswith("service_")]
    if not runs:  # results written before the modes were measured side by side
        runs = [(str(default or "python"), ingest.get("service", {}))]
    rows = [
        [
            f"telemetry-service, {mode} mode{' (default)' if mode == default else ''}"
            " (OTLP, 8 exports in flight)",
            svc.get("spans_per_s"),
            svc.get("spans_per_service_cpu_s"),
            svc.get("rows_in_seat_selections"),
            svc.get("peak_rss_mib"),
        ]
        for mode, svc in runs
    ]
    rows += [
        [
            "direct insert (same rows, same Store)",
            lim.get("rows_per_s"),
            None,
            lim.get("rows_in_seat_selections"),
            None,
        ],
        [
            "mapping only (rows_from_request, CPU)",
            lim.get("map_only_spans_per_cpu_s"),
            None,
            None,
            None,
        ],
    ]
    return "\nIngest (spans of 512 per export)\n" + table(
        ["path", "spans/s", "spans/CPU-s", "rows", "peak RSS MiB"], rows
    )


def drift_table(drift: Mapping[str, Any]) -> str:
    failed = _error_or(drift, "Drift")
    if failed:
        return failed
    rows = [
        [
            "since 30d, until now (as the CLI asks)",
            drift.get("total_selections"),
            drift.get("report_s_cold"),
            drift.get("report_s_p50"),
            drift.get("report_s_max"),
        ],
        [
            "until off a rollup edge",
            drift.get("unaligned_total_selections"),
            drift.get("unaligned_report_s_cold"),
            drift.get("unaligned_report_s_p50"),
            drift.get("unaligned_report_s_max"),
        ],
    ]
    return (
        f"\nDrift report over {drift.get('data', {}).get('rows')} rows "
        f"(CLI end to end {drift.get('cli_s')} s)\n"
        + table(["request", "selections", "cold s", "warm p50 s", "warm max s"], rows)
    )


def full_stack_table(full: Mapping[str, Any]) -> str:
    failed = _error_or(full, "Full stack")
    if failed:
        return failed
    fresh = full.get("freshness", {})
    load = full.get("throughput_c64", {})
    ok_rows = full.get("ok_rows_for_load", {})
    rows = [
        [
            "freshness p50 / p99 / max s",
            f"{fresh.get('p50_s')} / {fresh.get('p99_s')} / "
            f"{fresh.get('max_s')} ({fresh.get('rows_seen')}/{fresh.get('calls')} seen)",
        ],
        [
            "router c=64 with tracing: req/s, p99 ms",
            f"{load.get('req_per_s')}, {load.get('latency_ms_p99')}",
        ],
        ["ok rows for the load / expected", f"{ok_rows.get('rows')} / {ok_rows.get('expected')}"],
        [
            "router peak RSS MiB (all workers)",
            full.get("router_memory", {}).get("peak_rss_mib_sum"),
        ],
        ["telemetry peak RSS MiB", full.get("telemetry_memory", {}).get("peak_rss_mib_sum")],
        [
            "stop after SIGTERM s: router / telemetry",
            f"{full.get('router_stop_s')} / {full.get('telemetry_stop_s')}",
        ],
    ]
    return "\nRouter + telemetry, tracing on\n" + table(["figure", "value"], rows)


RUN_LOG_HEADERS = (
    "run (UTC)",
    "load avg before → after",
    "commit (+changed files)",
    "router added p50/p99 ms",
    "Portkey / LiteLLM added p99 ms",
    "req/s c=64 router / Portkey / LiteLLM",
    "ingest spans/s",
    "direct-insert spans/s",
    "freshness p99 s",
    "drift 10M s",
    "RSS MiB router / telemetry",
)


def _dig(node: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(node, Mapping):
            return None
        node = node.get(key)
    return node


def run_log_row(results: Mapping[str, Any]) -> list[object]:
    """One line of the run log in docs/benchmarks.md."""
    m = results.get("machine", {})
    gw = results.get("gateways", {})
    load_before = str(m.get("uptime", "")).rpartition("load average: ")[2].split(",")[0]
    load_after = str(results.get("uptime_after", "")).rpartition("load average: ")[2]
    return [
        str(m.get("date_utc", ""))[:16].replace("T", " "),
        f"{load_before} → {load_after.split(',')[0]}",
        f"{m.get('git_commit')} (+{m.get('git_changed_files')})",
        f"{_dig(gw, 'added_latency_c1', 'router', 'p50_ms')} / "
        f"{_dig(gw, 'added_latency_c1', 'router', 'p99_ms')}",
        f"{_dig(gw, 'added_latency_c1', 'portkey', 'p99_ms')} / "
        f"{_dig(gw, 'added_latency_c1', 'litellm', 'p99_ms')}",
        " / ".join(
            str(_dig(gw, "throughput_c64", name, "req_per_s"))
            for name in ("router", "portkey", "litellm")
        ),
        _dig(results, "ingest", "service", "spans_per_s"),
        _dig(results, "ingest", "direct_insert", "rows_per_s"),
        _dig(results, "full_stack", "freshness", "p99_s"),
        _dig(results, "drift", "report_s_p50"),
        f"{_dig(results, 'full_stack', 'router_memory', 'peak_rss_mib_sum')} / "
        f"{_dig(results, 'full_stack', 'telemetry_memory', 'peak_rss_mib_sum')}",
    ]


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m benchmarks.report [--run-log] results.json ...``: print stored runs again.

    ``--run-log`` prints one Markdown row per run (the run log of docs/benchmarks.md).
    """
    import json
    import sys
    from pathlib import Path

    from benchmarks import targets

    args = list(sys.argv[1:] if argv is None else argv)
    run_log = "--run-log" in args
    paths = [a for a in args if a != "--run-log"]
    if not paths:
        print("usage: python -m benchmarks.report [--run-log] RESULTS.json ...", file=sys.stderr)
        return 2
    loaded = [json.loads(Path(path).read_text()) for path in paths]
    if run_log:
        print(table(RUN_LOG_HEADERS, [run_log_row(r) for r in loaded]))
        return 0
    for results in loaded:
        print(render(results, targets.evaluate(results)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
