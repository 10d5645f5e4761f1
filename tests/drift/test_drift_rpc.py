"""The drift RPCs on the real telemetry server: a small hand-computed fixture and bad
arguments."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest
from google.protobuf import duration_pb2, timestamp_pb2
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from llmcouncil.telemetry.v1 import telemetry_service_pb2 as pb
from llmcouncil.telemetry.v1 import telemetry_service_pb2_grpc as pb_grpc

from telemetry_service.drift.catalog import COLUMNS as CATALOG_COLUMNS
from telemetry_service.server import TelemetryApp
from tests.drift.drift_rows import (
    DAY,
    PARETO,
    insert_reviews,
    insert_selections,
    review,
    selection,
    utc,
)

HOUR = 3_600.0


def stamp(epoch_s: float) -> timestamp_pb2.Timestamp:
    out = timestamp_pb2.Timestamp()
    out.FromNanoseconds(int(epoch_s * 1e9))
    return out


def catalog_row(at: float, model: str, price: float, coding: float, rank: int) -> tuple[Any, ...]:
    return (utc(at), "sim", model, model, 1000, price, price, price, coding, rank > 0, rank)


@pytest.fixture
async def stub(telemetry_app: TelemetryApp) -> AsyncIterator[pb_grpc.TelemetryQueryServiceStub]:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{telemetry_app.port}") as channel:
        yield pb_grpc.TelemetryQueryServiceStub(channel)


async def load_fixture(app: TelemetryApp, t0: float) -> None:
    store = app.store
    assert store is not None
    named = "anthropic/claude-sonnet-4.5"
    await insert_selections(
        store,
        [
            # balanced Pareto seat: 4 calls in 2 sessions, 1 duplicate, 3 with a cost.
            selection(t0 + 1 * HOUR, "balanced", "m/a", session="s1", cost=0.002),
            selection(t0 + 1 * HOUR, "balanced", "m/b", session="s1", cost=0.004, duplicate=True),
            selection(t0 + 3 * HOUR, "balanced", "m/b", session="s2", cost=0.006),
            selection(t0 + 3 * HOUR, "balanced", "m/a", session="s2", cost=None),
            # balanced named seats: 2 calls.
            selection(t0 + 1 * HOUR, "balanced", named, requested=named, cost=0.01),
            selection(t0 + 3 * HOUR, "balanced", named, requested=named, cost=0.02),
            # high Pareto seat: 2 calls at 0.001, one with a known generation id.
            selection(t0 + 1 * HOUR, "high", "m/c", session="s3", cost=0.001),
            selection(t0 + 1 * HOUR, "high", "m/c", session="s3", cost=0.001, span="f" * 16),
            # a failed call is no selection.
            selection(t0 + 1 * HOUR, "high", "", status="error", cost=None),
        ],
    )
    high_generation = (
        await store.query(
            "SELECT generation_id FROM seat_selections WHERE span_id = {s:String}", {"s": "f" * 16}
        )
    ).rows[0][0]
    await insert_reviews(
        store,
        [
            review(t0 + 2 * HOUR, "balanced", PARETO, 6.0),
            review(t0 + 2 * HOUR, "balanced", PARETO, 8.0),
            review(t0 + 2 * HOUR, "balanced", named, 4.0),
            review(t0 + 2 * HOUR, "balanced", named, 5.0),
            review(t0 + 2 * HOUR, "balanced", named, 6.0),
            # No tier and requested model of its own: completed from the selection.
            review(t0 + 2 * HOUR, "", "", 9.0, generation=high_generation),
        ],
    )
    await store.insert(
        "model_catalog_snapshots",
        [
            catalog_row(t0 - HOUR, "m/a", 1e-6, 50, 1),
            catalog_row(t0 - HOUR, "m/b", 2e-6, 40, 0),
            catalog_row(t0 + 2 * HOUR, "m/a", 3e-6, 50, 0),
            catalog_row(t0 + 2 * HOUR, "m/b", 2e-6, 55, 1),
        ],
        CATALOG_COLUMNS,
    )


def day_filter(t0: float, **fields: Any) -> pb.DriftFilter:
    message = pb.DriftFilter(since=stamp(t0), until=stamp(t0 + DAY), **fields)
    message.window.CopyFrom(duration_pb2.Duration(seconds=int(DAY)))
    return message


async def test_report_checks_equal_hand_computed_values(
    telemetry_app: TelemetryApp, stub: pb_grpc.TelemetryQueryServiceStub
) -> None:
    t0 = (time.time() // DAY - 2) * DAY
    await load_fixture(telemetry_app, t0)
    report = (await stub.GetDriftReport(pb.GetDriftReportRequest(filter=day_filter(t0)))).report

    assert report.total_selections == 6  # Pareto seats, successful
    duplicates = {d.tier: d for d in report.duplicates}
    assert (duplicates["balanced"].sessions, duplicates["balanced"].calls) == (2, 4)
    assert duplicates["balanced"].duplicates == 1
    assert duplicates["balanced"].rate == pytest.approx(0.25)
    assert duplicates["balanced"].confidence == pb.CONFIDENCE_INSUFFICIENT
    assert duplicates["high"].rate == 0.0

    costs = {c.tier: c for c in report.costs}
    # every costed call of the tier: (0.002 + 0.004 + 0.006 + 0.01 + 0.02) / 5
    assert costs["balanced"].calls == 5
    assert costs["balanced"].mean_cost_usd == pytest.approx(0.0084)
    assert costs["balanced"].expected_cost_usd == pytest.approx(0.004)
    assert costs["balanced"].over_budget
    assert costs["high"].mean_cost_usd == pytest.approx(0.001)
    assert not costs["high"].over_budget

    reviews = {r.tier: r for r in report.reviews}
    balanced = reviews["balanced"]
    assert (balanced.pareto.count, balanced.pareto.mean) == (2, pytest.approx(7.0))
    assert balanced.pareto.ci_low == pytest.approx(7.0 - 1.959964 * 2**0.5 / 2**0.5, rel=1e-5)
    assert (balanced.named.count, balanced.named.mean) == (3, pytest.approx(5.0))
    assert balanced.named.ci_high == pytest.approx(5.0 + 1.959964 / 3**0.5, rel=1e-5)
    assert balanced.difference == pytest.approx(2.0)
    assert balanced.confidence == pb.CONFIDENCE_INSUFFICIENT
    assert (reviews["high"].pareto.count, reviews["high"].pareto.mean) == (1, 9.0)

    fit = {f.tier: f for f in report.frontier_fit}
    # m/a at +1h and m/b at +3h sat on the frontier of their snapshot; the other two did not.
    assert (fit["balanced"].selections, fit["balanced"].on_frontier) == (4, 2)
    assert fit["balanced"].rate == pytest.approx(0.5)
    changes = [
        (c.snapshot_time.ToSeconds(), list(c.added), list(c.removed))
        for c in report.frontier_changes
    ]
    assert changes == [(int(t0 + 2 * HOUR), ["m/b"], ["m/a"])]


async def test_shares_can_break_down_by_band_and_requested_model(
    telemetry_app: TelemetryApp, stub: pb_grpc.TelemetryQueryServiceStub
) -> None:
    t0 = (time.time() // DAY - 2) * DAY
    await load_fixture(telemetry_app, t0)
    response = await stub.ListSelectionShares(
        pb.ListSelectionSharesRequest(
            filter=day_filter(t0, tier="balanced"), by_band_and_requested_model=True
        )
    )
    cells = {
        (s.band, s.requested_model, s.resolved_model): (s.count, s.share) for s in response.shares
    }
    assert cells == {
        ("medium", PARETO, "m/a"): (2, 0.5),
        ("medium", PARETO, "m/b"): (2, 0.5),
    }
    assert {s.window_total for s in response.shares} == {4}


def bad_request_fields(error: grpc.aio.AioRpcError) -> list[str]:
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    assert status is not None
    fields = []
    for detail in status.details:
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            fields += [v.field for v in bad.field_violations]
    return fields


FUTURE = time.time() + 30 * DAY


@pytest.mark.parametrize(
    ("message", "field"),
    [
        pytest.param(pb.DriftFilter(tier="gold"), "filter.tier", id="unknown-tier"),
        pytest.param(
            pb.DriftFilter(window=duration_pb2.Duration(seconds=0)), "filter.window", id="window-0s"
        ),
        pytest.param(pb.DriftFilter(since=stamp(FUTURE)), "filter.since", id="since-in-future"),
        pytest.param(
            pb.DriftFilter(since=stamp(1_700_000_000), until=stamp(1_600_000_000)),
            "filter.until",
            id="until-before-since",
        ),
    ],
)
async def test_bad_filters_get_invalid_argument_naming_the_field(
    stub: pb_grpc.TelemetryQueryServiceStub, message: pb.DriftFilter, field: str
) -> None:
    calls = [
        (stub.GetDriftReport, pb.GetDriftReportRequest),
        (stub.ListSelectionShares, pb.ListSelectionSharesRequest),
        (stub.ListDriftEvents, pb.ListDriftEventsRequest),
    ]
    for method, request_type in calls:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await method(request_type(filter=message))
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert bad_request_fields(caught.value) == [field]


async def test_effective_filter_is_echoed_with_defaults(
    stub: pb_grpc.TelemetryQueryServiceStub,
) -> None:
    report = (await stub.GetDriftReport(pb.GetDriftReportRequest())).report
    assert report.filter.window.seconds == DAY
    span = report.filter.until.ToSeconds() - report.filter.since.ToSeconds()
    assert 30 * DAY <= span < 31 * DAY  # since aligned down to a whole window
    assert report.filter.divergence_threshold == pytest.approx(0.1)
    assert report.total_selections == 0
    assert dt.datetime.now(dt.UTC).timestamp() - report.generated_at.ToSeconds() < 60


async def test_list_drift_events_reports_a_top_model_change(
    telemetry_app: TelemetryApp, stub: pb_grpc.TelemetryQueryServiceStub
) -> None:
    assert telemetry_app.store is not None
    t0 = (time.time() // DAY - 3) * DAY
    before = [selection(t0 + i * 60, "high", "m/old") for i in range(20)]
    after = [selection(t0 + DAY + i * 60, "high", "m/new") for i in range(20)]
    await insert_selections(telemetry_app.store, before + after)
    message = pb.DriftFilter(since=stamp(t0), until=stamp(t0 + 2 * DAY), tier="high")
    message.window.CopyFrom(duration_pb2.Duration(seconds=int(DAY)))
    response = await stub.ListDriftEvents(pb.ListDriftEventsRequest(filter=message))
    kinds = [(e.kind, e.model, e.window_start.ToSeconds()) for e in response.events]
    assert (pb.DRIFT_EVENT_KIND_TOP_MODEL_CHANGED, "m/new", int(t0 + DAY)) in kinds
    top = response.events[0]
    assert (top.previous_top_model, top.evidence_count) == ("m/old", 20)
    assert top.confidence == pb.CONFIDENCE_PRELIMINARY
    assert [(s.model, s.share) for s in top.shares_after] == [("m/new", 1.0)]
