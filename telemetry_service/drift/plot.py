"""Selection share over time as a PNG: one panel per tier, stacked areas per resolved model,
drift events marked (matplotlib's Agg canvas, no display needed)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import Path

from llmcouncil.telemetry.v1 import telemetry_service_pb2 as pb

from telemetry_service.drift.filters import TIERS

# Drawn in this order, so a top-model change stays visible over the events it implies.
_EVENT_ORDER = (
    pb.DRIFT_EVENT_KIND_MODEL_DISAPPEARED,
    pb.DRIFT_EVENT_KIND_MODEL_APPEARED,
    pb.DRIFT_EVENT_KIND_DISTRIBUTION_SHIFT,
    pb.DRIFT_EVENT_KIND_TOP_MODEL_CHANGED,
)
_EVENT_STYLE = {
    pb.DRIFT_EVENT_KIND_TOP_MODEL_CHANGED: ("tab:red", "-", "top model changed"),
    pb.DRIFT_EVENT_KIND_DISTRIBUTION_SHIFT: ("tab:orange", "--", "distribution shift"),
    pb.DRIFT_EVENT_KIND_MODEL_APPEARED: ("tab:green", ":", "model appeared"),
    pb.DRIFT_EVENT_KIND_MODEL_DISAPPEARED: ("tab:gray", ":", "model disappeared"),
}


def _time(stamp: object) -> dt.datetime:
    return dt.datetime.fromtimestamp(stamp.ToNanoseconds() / 1e9, tz=dt.UTC)  # type: ignore[attr-defined]


def _tier_key(tier: str) -> tuple[int, str]:
    return (TIERS.index(tier) if tier in TIERS else len(TIERS), tier)


def write_share_plot(report: pb.DriftReport, path: Path) -> int:
    """Write the chart to `path` (PNG); returns the number of panels (tiers) drawn."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    by_tier: dict[str, dict[dt.datetime, dict[str, float]]] = defaultdict(lambda: defaultdict(dict))
    for share in report.shares:
        by_tier[share.tier][_time(share.window_start)][share.resolved_model] = share.share
    tiers = sorted(by_tier, key=_tier_key)
    panels = max(1, len(tiers))
    figure = Figure(figsize=(11, 2.8 * panels), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(panels, 1, squeeze=False, sharex=True)[:, 0]
    window = dt.timedelta(seconds=report.filter.window.seconds or 1)
    # The same colour for a model in every panel (ten colours, repeating beyond ten models).
    every_model = sorted({s.resolved_model for s in report.shares})
    palette = [f"C{i % 10}" for i in range(len(every_model))]
    colour = dict(zip(every_model, palette, strict=True))
    for ax, tier in zip(axes, tiers, strict=False):
        windows = sorted(by_tier[tier])
        models = sorted({m for cell in by_tier[tier].values() for m in cell})
        # Each window's share drawn over its whole span: a step at every window edge.
        xs = [t for w in windows for t in (w, w + window)]
        ys = [[by_tier[tier][w].get(m, 0.0) for w in windows for _ in (0, 1)] for m in models]
        ax.stackplot(xs, ys, labels=models, colors=[colour[m] for m in models], alpha=0.85)
        seen: set[int] = set()
        events = [e for e in report.events if e.tier == tier and e.kind in _EVENT_ORDER]
        for event in sorted(events, key=lambda e: _EVENT_ORDER.index(e.kind)):
            color, style, label = _EVENT_STYLE.get(event.kind, ("black", "-", "event"))
            ax.axvline(
                _time(event.window_start),
                color=color,
                linestyle=style,
                linewidth=1.6,
                label=None if event.kind in seen else label,
            )
            seen.add(event.kind)
        ax.set_ylim(0, 1)
        ax.set_ylabel("share")
        ax.set_title(f"{tier}: selection share per resolved model")
        ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize="small")
    if not tiers:
        axes[0].text(0.5, 0.5, "no selections in the period", ha="center", va="center")
    axes[-1].set_xlabel("window start (UTC)")
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png", dpi=100)
    return len(tiers)
