"""The drift report as terminal tables (pure: report message in, text out)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence

from llmcouncil.telemetry.v1 import telemetry_service_pb2 as pb

_KIND = {
    pb.DRIFT_EVENT_KIND_TOP_MODEL_CHANGED: "top model changed",
    pb.DRIFT_EVENT_KIND_MODEL_APPEARED: "model appeared",
    pb.DRIFT_EVENT_KIND_MODEL_DISAPPEARED: "model disappeared",
    pb.DRIFT_EVENT_KIND_DISTRIBUTION_SHIFT: "distribution shift",
}
_CONFIDENCE = {
    pb.CONFIDENCE_INSUFFICIENT: "insufficient",
    pb.CONFIDENCE_PRELIMINARY: "preliminary",
    pb.CONFIDENCE_MODERATE: "moderate",
    pb.CONFIDENCE_HIGH: "high",
}
TOP_MODELS_SHOWN = 3


def when(stamp: object, window_s: int = 60) -> str:
    """UTC time, to the minute (or the second for windows shorter than a minute)."""
    seconds = stamp.ToNanoseconds() / 1e9  # type: ignore[attr-defined]
    moment = dt.datetime.fromtimestamp(seconds, tz=dt.UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S" if window_s < 60 else "%Y-%m-%d %H:%M")


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A plain aligned text table; numbers are expected pre-formatted."""
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)
    ]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return "\n".join(lines)


def _pct(value: float) -> str:
    return f"{100 * value:.0f}%"


def _shares(shares: Sequence[pb.ModelShare]) -> str:
    shown = ", ".join(f"{s.model} {_pct(s.share)}" for s in shares[:TOP_MODELS_SHOWN])
    more = len(shares) - TOP_MODELS_SHOWN
    return shown + (f", +{more} more" if more > 0 else "") if shown else "-"


def _events(report: pb.DriftReport, window_s: int) -> str:
    rows = [
        [
            when(e.window_start, window_s),
            e.tier,
            _KIND.get(e.kind, "?"),
            e.model or "-",
            _shares(e.shares_before),
            _shares(e.shares_after),
            f"{e.divergence:.2f}",
            str(e.evidence_count),
            _CONFIDENCE.get(e.confidence, "?"),
        ]
        for e in report.events
    ]
    headers = ["window", "tier", "event", "model", "before", "after", "JSD", "n", "confidence"]
    return f"Drift events ({len(rows)})\n" + (table(headers, rows) if rows else "  none")


def _share_table(report: pb.DriftReport, window_s: int) -> str:
    cells: dict[tuple[int, str], list[pb.SelectionShare]] = defaultdict(list)
    for share in report.shares:
        cells[(share.window_start.ToNanoseconds(), share.tier)].append(share)
    rows = []
    for (_, tier), group in sorted(cells.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        group.sort(key=lambda s: -s.count)
        models = [
            pb.ModelShare(model=s.resolved_model, share=s.share, count=s.count) for s in group
        ]
        rows.append(
            [
                tier,
                when(group[0].window_start, window_s),
                str(group[0].window_total),
                _shares(models),
            ]
        )
    return "Selection share per window\n" + (
        table(["tier", "window", "n", "resolved models"], rows) if rows else "  no selections"
    )


def _frontier(report: pb.DriftReport, window_s: int) -> str:
    changes = [
        [
            when(c.snapshot_time, window_s),
            ", ".join(c.added) or "-",
            ", ".join(c.removed) or "-",
            ", ".join(c.frontier),
        ]
        for c in report.frontier_changes
    ]
    fit = [
        [f.tier, str(f.selections), str(f.on_frontier), _pct(f.rate)] for f in report.frontier_fit
    ]
    text = "Catalog frontier changes\n" + (
        table(["snapshot", "joined", "left", "frontier (cheapest first)"], changes)
        if changes
        else "  none"
    )
    return (
        text
        + "\n\nSelections on the catalog frontier\n"
        + (
            table(["tier", "selections", "on frontier", "rate"], fit)
            if fit
            else "  no catalog snapshots"
        )
    )


def _score(summary: pb.ScoreSummary) -> str:
    return f"{summary.mean:.2f} [{summary.ci_low:.2f}, {summary.ci_high:.2f}] n={summary.count}"


def _checks(report: pb.DriftReport) -> str:
    dup = [
        [
            d.tier,
            str(d.sessions),
            str(d.calls),
            str(d.duplicates),
            _pct(d.rate),
            _CONFIDENCE.get(d.confidence, "?"),
        ]
        for d in report.duplicates
    ]
    rev = [
        [
            r.tier,
            _score(r.pareto),
            _score(r.named),
            f"{r.difference:+.2f}",
            _CONFIDENCE.get(r.confidence, "?"),
        ]
        for r in report.reviews
    ]
    cost = [
        [
            c.tier,
            str(c.calls),
            f"{c.mean_cost_usd:.6f}",
            f"{c.expected_cost_usd:.6f}" if c.expected_cost_usd else "-",
            "OVER" if c.over_budget else "ok",
            _CONFIDENCE.get(c.confidence, "?"),
        ]
        for c in report.costs
    ]
    return "\n\n".join(
        [
            "Pareto seat duplicating a named seat\n"
            + (
                table(["tier", "sessions", "calls", "duplicates", "rate", "confidence"], dup)
                if dup
                else "  no Pareto calls"
            ),
            "Peer-review score, Pareto seat vs named seats (mean [95% CI])\n"
            + (
                table(["tier", "pareto", "named", "diff", "confidence"], rev)
                if rev
                else "  no reviews"
            ),
            "Cost per call (USD) against the tier expectation\n"
            + (
                table(["tier", "calls", "mean", "expected", "check", "confidence"], cost)
                if cost
                else "  no costed calls"
            ),
        ]
    )


def render_report(report: pb.DriftReport) -> str:
    """The whole report as text tables."""
    f = report.filter
    window_s = f.window.seconds or 1
    head = (
        f"Frontier drift {when(f.since, window_s)} .. {when(f.until, window_s)} UTC, "
        f"window {window_s} s, tier {f.tier or 'all'}, "
        f"seats {f.requested_model or 'openrouter/pareto-code (+:nitro)'}, "
        f"{report.total_selections} selections"
    )
    parts = [
        head,
        _events(report, window_s),
        _share_table(report, window_s),
        _frontier(report, window_s),
        _checks(report),
    ]
    return "\n\n".join(parts) + "\n"
