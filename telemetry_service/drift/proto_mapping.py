"""Drift dataclasses -> llmcouncil.telemetry.v1 messages, and the request filter in (pure)."""

from __future__ import annotations

from collections.abc import Iterable

from google.protobuf import duration_pb2, timestamp_pb2
from llmcouncil.telemetry.v1 import telemetry_service_pb2 as pb

from telemetry_service.drift.analysis import DriftReportData
from telemetry_service.drift.checks import CostCheck, DuplicateRate, FrontierFit, ReviewComparison
from telemetry_service.drift.events import DriftEvent, ModelShare
from telemetry_service.drift.filters import DriftQuery, resolve_filter
from telemetry_service.drift.frontier import FrontierChange
from telemetry_service.drift.shares import ShareRow
from telemetry_service.drift.stats import ScoreSummary


def _timestamp(epoch_s: float) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromNanoseconds(round(epoch_s * 1e9))
    return stamp


def query_from_filter(message: pb.DriftFilter, now: float) -> DriftQuery:
    """Validate a DriftFilter (raises FilterError naming the field)."""
    return resolve_filter(
        tier=message.tier,
        window_s=message.window.ToNanoseconds() / 1e9 if message.HasField("window") else None,
        since=message.since.ToNanoseconds() / 1e9 if message.HasField("since") else None,
        until=message.until.ToNanoseconds() / 1e9 if message.HasField("until") else None,
        requested_model=message.requested_model,
        divergence_threshold=message.divergence_threshold,
        now=now,
    )


def filter_message(query: DriftQuery) -> pb.DriftFilter:
    """The effective filter, defaults filled in."""
    return pb.DriftFilter(
        tier=query.tier,
        window=duration_pb2.Duration(seconds=query.window_s),
        since=_timestamp(query.since),
        until=_timestamp(query.until),
        requested_model=query.requested_model,
        divergence_threshold=query.divergence_threshold,
    )


def share_message(row: ShareRow) -> pb.SelectionShare:
    return pb.SelectionShare(
        window_start=_timestamp(row.window_start),
        tier=row.tier,
        band=row.band,
        requested_model=row.requested_model,
        resolved_model=row.resolved_model,
        count=row.count,
        share=row.share,
        window_total=row.window_total,
    )


def _model_shares(shares: Iterable[ModelShare]) -> list[pb.ModelShare]:
    return [pb.ModelShare(model=s.model, share=s.share, count=s.count) for s in shares]


def event_message(event: DriftEvent) -> pb.DriftEvent:
    return pb.DriftEvent(
        kind=int(event.kind),  # type: ignore[arg-type]
        tier=event.tier,
        window_start=_timestamp(event.window_start),
        previous_window_start=_timestamp(event.previous_window_start),
        model=event.model,
        previous_top_model=event.previous_top_model,
        shares_before=_model_shares(event.shares_before),
        shares_after=_model_shares(event.shares_after),
        divergence=event.divergence,
        evidence_count=event.evidence_count,
        confidence=int(event.confidence),  # type: ignore[arg-type]
    )


def _frontier_change(change: FrontierChange) -> pb.FrontierChange:
    return pb.FrontierChange(
        snapshot_time=_timestamp(change.snapshot_time),
        added=change.added,
        removed=change.removed,
        frontier=change.frontier,
    )


def _fit(fit: FrontierFit) -> pb.FrontierFit:
    return pb.FrontierFit(
        tier=fit.tier, selections=fit.selections, on_frontier=fit.on_frontier, rate=fit.rate
    )


def _duplicate(rate: DuplicateRate) -> pb.DuplicateRate:
    return pb.DuplicateRate(
        tier=rate.tier,
        sessions=rate.sessions,
        calls=rate.calls,
        duplicates=rate.duplicates,
        rate=rate.rate,
        confidence=int(rate.confidence),  # type: ignore[arg-type]
    )


def _summary(summary: ScoreSummary) -> pb.ScoreSummary:
    return pb.ScoreSummary(
        count=summary.count, mean=summary.mean, ci_low=summary.ci_low, ci_high=summary.ci_high
    )


def _review(comparison: ReviewComparison) -> pb.ReviewComparison:
    return pb.ReviewComparison(
        tier=comparison.tier,
        pareto=_summary(comparison.pareto),
        named=_summary(comparison.named),
        difference=comparison.difference,
        confidence=int(comparison.confidence),  # type: ignore[arg-type]
    )


def _cost(check: CostCheck) -> pb.CostCheck:
    return pb.CostCheck(
        tier=check.tier,
        calls=check.calls,
        mean_cost_usd=check.mean_cost_usd,
        expected_cost_usd=check.expected_cost_usd,
        over_budget=check.over_budget,
        confidence=int(check.confidence),  # type: ignore[arg-type]
    )


def report_message(report: DriftReportData) -> pb.DriftReport:
    return pb.DriftReport(
        filter=filter_message(report.query),
        generated_at=_timestamp(report.generated_at),
        shares=[share_message(s) for s in report.shares],
        events=[event_message(e) for e in report.events],
        frontier_changes=[_frontier_change(c) for c in report.frontier_changes],
        frontier_fit=[_fit(f) for f in report.frontier_fit],
        duplicates=[_duplicate(d) for d in report.duplicates],
        reviews=[_review(r) for r in report.reviews],
        costs=[_cost(c) for c in report.costs],
        total_selections=report.total_selections,
    )
