"""Council demo: route council sessions, watch the Pareto Router's picks drift, print the report.

    python -m examples.council_demo [--duration 120] [--plot demo-out/drift.png]

Without OPENROUTER_API_KEY the bundled OpenRouter simulator runs in this process with its
frontier shifting every --shift-every seconds (compressed time). `telemetry-service serve` and
`router-service serve` run as child processes on free loopback ports; council sessions go
through RouteSeat (Pareto seat + named seats per tier) and RecordSeatReview; then the drift
report (GetDriftReport), the chart and a SQL query through `telemetry-service query`.
Children are stopped on exit and on Ctrl-C. Exit 0 on success, 1 on failure, 130 on Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import grpc
import httpx
from google.protobuf import duration_pb2, timestamp_pb2
from llmcouncil.router.v1 import router_service_pb2 as rpb
from llmcouncil.router.v1 import router_service_pb2_grpc as rpb_grpc
from llmcouncil.telemetry.v1 import telemetry_service_pb2 as tpb
from llmcouncil.telemetry.v1 import telemetry_service_pb2_grpc as tpb_grpc

from examples.demo_stack import Children, DemoError, data_dir, module_argv, start_services
from telemetry_service.drift.frontier import CatalogModel, parse_catalog
from telemetry_service.drift.plot import write_share_plot
from telemetry_service.drift.render import render_report

LOG = logging.getLogger("council_demo")
PARETO = "openrouter/pareto-code"
SIM_KEY = "sk-sim-demo"
SELECTION_QUERY = "SELECT tier, resolved_model, count() FROM seat_selections GROUP BY ALL"
# Driven tiers and the Pareto band each lands in (OpenRouter banding of the tier score).
TIERS = {"quick": ("low", rpb.TIER_QUICK), "balanced": ("medium", rpb.TIER_BALANCED)}
TIERS["high"] = ("high", rpb.TIER_HIGH)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m examples.council_demo", description=__doc__)
    parser.add_argument("--duration", type=float, default=120.0, help="driving time, seconds")
    parser.add_argument("--shift-every", type=float, default=30.0, help="simulated shift period, s")
    parser.add_argument("--window", type=int, default=15, help="report window, seconds")
    parser.add_argument("--sessions-per-window", type=int, default=15, help="per tier")
    parser.add_argument("--plot", default="demo-out/drift.png", help="chart file ('' = none)")
    parser.add_argument(
        "--data-dir",
        default=".council-data",
        help="service data (embedded ClickHouse under DIR/clickhouse, the telemetry-service "
        "default) and logs; '' = a temporary directory",
    )
    parser.add_argument(
        "--router-listen", default="127.0.0.1:50051", help="router-service address (port 0 = any)"
    )
    parser.add_argument(
        "--telemetry-listen",
        default="127.0.0.1:4317",
        help="telemetry-service address, OTLP and queries (port 0 = any)",
    )
    parser.add_argument(
        "--keep-running",
        action="store_true",
        help="after the report, leave both services (and the simulator) up until Ctrl-C",
    )
    args = parser.parse_args(argv)
    for flag, value in (("--duration", args.duration), ("--shift-every", args.shift_every)):
        if value <= 0:
            parser.error(f"{flag}: must be > 0 seconds")
    if args.window < 1 or args.sessions_per_window < 1:
        parser.error("--window and --sessions-per-window: must be >= 1")
    return args


class ShiftedClock:
    """The simulator's clock. Its epochs count from its start; moving the offset lines the
    frontier shifts up with the report windows, so each shift opens a window."""

    def __init__(self) -> None:
        self.offset_s = 0.0

    def __call__(self) -> float:
        return time.time() - self.offset_s


def named_seats(catalog: list[CatalogModel]) -> dict[str, list[str]]:
    """Two named seats per tier from the simulator's catalog: scored models by coding index,
    in thirds (the router's pools name real models the simulator may not list)."""
    scored = sorted(
        (m.coding_index, m.model_id)
        for m in catalog
        if m.coding_index is not None and not m.model_id.startswith("openrouter/")
    )
    ids = [model_id for _, model_id in scored]
    third = max(1, len(ids) // 3)
    return {tier: ids[i * third : i * third + 2] for i, tier in enumerate(TIERS)}


async def tier_pools(router_port: int) -> dict[str, list[str]]:
    """Two named seats per tier from the router's configured pools (ListTiers)."""
    async with grpc.aio.insecure_channel(f"127.0.0.1:{router_port}") as channel:
        listed = await rpb_grpc.RouterServiceStub(channel).ListTiers(rpb.ListTiersRequest())
    return {t.name: list(t.pool_models[:2]) for t in listed.tiers if t.name in TIERS}


async def fetch_catalog(base_url: str) -> list[CatalogModel]:
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.get(f"{base_url}/models")
    response.raise_for_status()
    return parse_catalog(response.json())


@dataclasses.dataclass
class DriveStats:
    calls: int = 0
    failures: int = 0
    reviews: int = 0


async def council_session(
    stub: rpb_grpc.RouterServiceStub,
    tier: str,
    seats: list[str],
    quality: Mapping[str, float],
    rng: random.Random,
    stats: DriveStats,
) -> None:
    """One council of a tier: every seat answers, then each answer gets a peer review."""
    session = f"demo-{tier}-{time.time_ns()}"
    _, tier_enum = TIERS[tier]
    question = [rpb.ChatMessage(role="user", content="Refactor this function for clarity.")]
    requests = [
        rpb.RouteSeatRequest(
            model=model,
            tier=tier_enum,
            messages=question,
            session_id=session,
            seat_id="pareto" if model == PARETO else f"seat-{i}",
            pool_models=[m for m in seats if m != PARETO],
            max_tokens=64,
        )
        for i, model in enumerate(seats)
    ]
    answers = await asyncio.gather(
        *(stub.RouteSeat(r, timeout=30) for r in requests), return_exceptions=True
    )
    done = [a for a in answers if isinstance(a, rpb.RouteSeatResponse)]
    stats.calls += len(answers)
    stats.failures += len(answers) - len(done)
    # Simulated peer review: better coding models get better scores, with reviewer noise.
    scores = [
        min(10.0, max(1.0, 1 + 9 * quality.get(a.resolved_model, 50) / 100 + rng.gauss(0, 0.7)))
        for a in done
    ]
    order = sorted(range(len(done)), key=lambda i: -scores[i])
    for rank, i in enumerate(order, start=1):
        answer = done[i]
        reviewer = done[(i + 1) % len(done)].resolved_model if len(done) > 1 else "demo-reviewer"
        await stub.RecordSeatReview(
            rpb.RecordSeatReviewRequest(
                session_id=session,
                seat_id=answer.seat_id,
                generation_id=answer.generation_id,
                reviewer=reviewer,
                score=round(scores[i], 2),
                rank=rank,
                borda_points=float(len(done) - rank),
                tier=tier_enum,
                resolved_model=answer.resolved_model,
                requested_model=answer.requested_model,
            ),
            timeout=10,
        )
        stats.reviews += 1


async def drive(
    router_port: int,
    seats: Mapping[str, list[str]],
    quality: Mapping[str, float],
    args: argparse.Namespace,
    until: float,
) -> DriveStats:
    stats = DriveStats()
    rng = random.Random(7)
    pace_s = args.window / args.sessions_per_window
    async with grpc.aio.insecure_channel(f"127.0.0.1:{router_port}") as channel:
        stub = rpb_grpc.RouterServiceStub(channel)
        next_round = time.time()
        while next_round < until:
            await asyncio.gather(
                *(council_session(stub, t, s, quality, rng, stats) for t, s in seats.items())
            )
            next_round += pace_s
            await asyncio.sleep(max(0.0, next_round - time.time()))
    return stats


def stamp(epoch_s: float) -> timestamp_pb2.Timestamp:
    out = timestamp_pb2.Timestamp()
    out.FromNanoseconds(int(epoch_s * 1e9))
    return out


async def fetch_report(
    telemetry_port: int, since: float, until: float, window_s: int, expected_rows: int
) -> tpb.DriftReport:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{telemetry_port}") as channel:
        stub = tpb_grpc.TelemetryQueryServiceStub(channel)
        # Spans leave the router in background batches: wait until the rows are in.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            result = await stub.ExecuteQuery(
                tpb.ExecuteQueryRequest(sql="SELECT count() FROM seat_selections")
            )
            stored = int(result.rows[0].values[0].number_value)
            if stored >= expected_rows:
                break
            await asyncio.sleep(0.5)
        LOG.info("%d selections stored (%d calls answered)", stored, expected_rows)
        message = tpb.DriftFilter(since=stamp(since), until=stamp(until))
        message.window.CopyFrom(duration_pb2.Duration(seconds=window_s))
        response = await stub.GetDriftReport(tpb.GetDriftReportRequest(filter=message), timeout=60)
    return response.report


def simulated_shifts(start: float, args: argparse.Namespace) -> list[tuple[float, str, str, str]]:
    """(time, tier, model before, model after) for every shift of a driven band."""
    from openrouter_sim import Band, default_schedule

    schedule = default_schedule()
    shifts = []
    step = 1
    while step * args.shift_every < args.duration:
        before = schedule.epoch_at((step - 1) * args.shift_every, args.shift_every)
        after = schedule.epoch_at(step * args.shift_every, args.shift_every)
        for tier, (band, _) in TIERS.items():
            old, new = before.pick(Band(band)), after.pick(Band(band))
            if old != new:
                shifts.append((start + step * args.shift_every, tier, old, new))
        step += 1
    return shifts


def compare_shifts(
    report: tpb.DriftReport, shifts: list[tuple[float, str, str, str]], window_s: int
) -> None:
    found = {
        (e.tier, e.window_start.ToSeconds())
        for e in report.events
        if e.kind == tpb.DRIFT_EVENT_KIND_TOP_MODEL_CHANGED
    }
    lines = ["Simulated frontier shifts and what the report found:"]
    for at, tier, old, new in shifts:
        window = int(at // window_s * window_s)
        hit = (tier, window) in found or (tier, window + window_s) in found
        when = time.strftime("%H:%M:%S", time.gmtime(at))
        lines.append(
            f"  {when} UTC  {tier:9} {old} -> {new}: {'detected' if hit else 'not detected'}"
        )
    sys.stdout.write("\n".join(lines) + "\n\n")


def run_query(telemetry_port: int, env: Mapping[str, str]) -> str:
    argv = module_argv("telemetry_service", "query", "--addr", f"127.0.0.1:{telemetry_port}")
    argv.append(SELECTION_QUERY)
    done = subprocess.run(
        argv, env=dict(env), capture_output=True, text=True, timeout=60, check=False
    )
    if done.returncode != 0:
        raise DemoError(f"telemetry-service query failed: {done.stderr.strip()}")
    return done.stdout


async def demo(args: argparse.Namespace, children: Children, root: Path) -> int:
    env = dict(os.environ)
    clock = ShiftedClock()
    sim = None
    created = 0.0
    if not env.get("OPENROUTER_API_KEY"):
        from openrouter_sim import SimServer

        created = clock()
        sim = SimServer(api_key=SIM_KEY, shift_every_s=args.shift_every, clock=clock).start()
        LOG.info(
            "OPENROUTER_API_KEY is unset: using the bundled OpenRouter simulator at %s, "
            "frontier shifting every %.0f s",
            sim.base_url,
            args.shift_every,
        )
        env.update(
            OPENROUTER_BASE_URL=sim.base_url,
            OPENROUTER_API_KEY=SIM_KEY,
            TELEMETRY_CATALOG_INTERVAL_S="10",
        )
    try:
        tport, rport = await start_services(
            children, root, env, args.telemetry_listen, args.router_listen
        )
        start, report = await run_council(args, env, sim is not None, clock, created, rport, tport)
        sys.stdout.write(render_report(report) + "\n")
        if sim is not None:
            compare_shifts(report, simulated_shifts(start, args), args.window)
        if args.plot:
            panels = write_share_plot(report, Path(args.plot))
            LOG.info("chart with %d tier panels written to %s", panels, args.plot)
        sys.stdout.write(f'$ telemetry-service query "{SELECTION_QUERY}"\n{run_query(tport, env)}')
        if report.total_selections == 0:
            raise DemoError("the report holds no selections")
        if args.keep_running:
            await keep_running(tport, rport)
    finally:
        if sim is not None:
            sim.stop()
    return 0


async def run_council(
    args: argparse.Namespace,
    env: Mapping[str, str],
    simulated: bool,
    clock: ShiftedClock,
    created: float,
    rport: int,
    tport: int,
) -> tuple[float, tpb.DriftReport]:
    """Drive council sessions until --duration is over; returns (start, drift report)."""
    base = env.get("OPENROUTER_BASE_URL", "https://openrouter.ai/api/v1")
    catalog = await fetch_catalog(base)
    named = named_seats(catalog) if simulated else await tier_pools(rport)
    seats = {tier: [PARETO, *models] for tier, models in named.items()}
    # Start on a window edge; the simulator's shifts then fall on window edges too.
    start = (time.time() // args.window + 1) * args.window
    if simulated:
        clock.offset_s = start - created
    await asyncio.sleep(max(0.0, start - time.time()))
    LOG.info("driving council sessions for %.0f s, seats %s", args.duration, seats)
    stats = await drive(
        rport,
        seats,
        {m.model_id: m.coding_index or 50.0 for m in catalog},
        args,
        start + args.duration,
    )
    LOG.info("%d seat calls (%d failed), %d reviews", stats.calls, stats.failures, stats.reviews)
    if stats.calls == stats.failures:
        raise DemoError("every seat call failed; see the router log in the data directory")
    report = await fetch_report(
        tport, start, time.time(), args.window, stats.calls - stats.failures
    )
    return start, report


async def keep_running(tport: int, rport: int) -> None:
    """Leave the stack up for the user's own queries until Ctrl-C."""
    sys.stdout.write(
        "\nThe stack is still up (Ctrl-C stops it). In another terminal, with .venv active:\n"
        f'  telemetry-service query --addr 127.0.0.1:{tport} "{SELECTION_QUERY}"\n'
        f"  telemetry-service drift --addr 127.0.0.1:{tport} --window 15s --since 10m\n"
        f"  grpcurl -plaintext 127.0.0.1:{rport} list\n"
    )
    sys.stdout.flush()
    await asyncio.Event().wait()


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", datefmt="%H:%M:%S"
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)
    args = parse_args(argv)
    # SIGTERM stops the demo like Ctrl-C, so the child services are stopped too.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    with data_dir(args.data_dir) as root:
        LOG.info("data and service logs in %s", root)
        log_dir = root / "logs"
        log_dir.mkdir(exist_ok=True)
        children = Children(log_dir)
        try:
            return asyncio.run(demo(args, children, root))
        except KeyboardInterrupt:
            LOG.info("interrupted; stopping the services")
            return 130
        except (DemoError, grpc.RpcError, httpx.HTTPError, OSError) as exc:
            LOG.error("demo failed: %s", exc)
            return 1
        finally:
            children.stop()


if __name__ == "__main__":
    sys.exit(main())
