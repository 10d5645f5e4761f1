"""The issue's targets, checked against one run's results (pure: results dict in, rows out)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def _get(results: Mapping[str, Any], *path: str) -> float | None:
    node: Any = results
    for key in path:
        if not isinstance(node, Mapping) or key not in node:
            return None
        node = node[key]
    return float(node) if isinstance(node, int | float) else None


def _row(name: str, value: float | None, limit: str, met: bool | None) -> dict[str, object]:
    return {
        "target": name,
        "value": None if value is None else round(value, 3),
        "limit": limit,
        "met": met,
    }


def _ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b == 0:
        return None
    return a / b


def evaluate(results: Mapping[str, Any]) -> list[dict[str, object]]:
    """One row per target: measured value, limit, and whether it was met (None: no data)."""
    gw = results.get("gateways", {})
    rows: list[dict[str, object]] = []

    r50 = _get(gw, "added_latency_c1", "router", "p50_ms")
    r99 = _get(gw, "added_latency_c1", "router", "p99_ms")
    pk99 = _get(gw, "added_latency_c1", "portkey", "p99_ms")
    ll99 = _get(gw, "added_latency_c1", "litellm", "p99_ms")
    rows.append(
        _row("router added p50 at c=1 (ms)", r50, "<= 0.4", None if r50 is None else r50 <= 0.4)
    )
    rows.append(
        _row("router added p99 at c=1 (ms)", r99, "<= 1.0", None if r99 is None else r99 <= 1.0)
    )
    q = _ratio(r99, pk99)
    rows.append(_row("router / Portkey added p99", q, "<= 0.25", None if q is None else q <= 0.25))
    q = _ratio(r99, ll99)
    rows.append(_row("router / LiteLLM added p99", q, "<= 0.10", None if q is None else q <= 0.10))

    rps = _get(gw, "throughput_c64", "router", "req_per_s")
    p99 = _get(gw, "throughput_c64", "router", "latency_ms_p99")
    bad = _get(gw, "throughput_c64", "router", "failed")
    errored = _get(gw, "throughput_c64", "router", "errored")
    ghz_ok = None
    ghz = gw.get("ghz_c64", {}).get("router") if isinstance(gw.get("ghz_c64"), Mapping) else None
    if isinstance(ghz, Mapping) and isinstance(ghz.get("status_codes"), Mapping):
        codes = ghz["status_codes"]
        ghz_ok = set(codes) == {"OK"}
    clean = None if bad is None else (bad == 0 and errored == 0 and (p99 or 0) < 1000.0)
    if clean is not None and ghz_ok is False:
        clean = False
    rows.append(_row("router c=64 req/s (20 ms mock)", rps, "p99 < 1000 ms, no errors", clean))
    q = _ratio(rps, _get(gw, "throughput_c64", "portkey", "req_per_s"))
    rows.append(
        _row("router / Portkey req/s at c=64", q, ">= 1.3", None if q is None else q >= 1.3)
    )
    q = _ratio(rps, _get(gw, "throughput_c64", "litellm", "req_per_s"))
    rows.append(_row("router / LiteLLM req/s at c=64", q, ">= 10", None if q is None else q >= 10))

    ingest = results.get("ingest", {})
    sps = _get(ingest, "service", "spans_per_s")
    limit = _get(ingest, "direct_insert", "rows_per_s")
    fresh = _get(results, "full_stack", "freshness", "p99_s")
    rows.append(
        _row(
            "ingest spans/s (one process)",
            sps,
            ">= 100000",
            None if sps is None else sps >= 100_000,
        )
    )
    q = _ratio(sps, limit)
    rows.append(_row("ingest / direct-insert limit", q, ">= 0.5", None if q is None else q >= 0.5))
    rows.append(_row("freshness p99 (s)", fresh, "<= 2", None if fresh is None else fresh <= 2.0))

    drift = _get(results, "drift", "report_s_p50")
    drift_rows = _get(results, "drift", "data", "rows")
    if drift_rows is not None and drift_rows < 10_000_000:
        # A --quick run uses 1 M rows: its time says nothing about the 10 M target.
        drift = None
    rows.append(
        _row(
            "drift report, 10M selections (s)",
            drift,
            "<= 1",
            None if drift is None else drift <= 1.0,
        )
    )
    return rows
