"""The benchmark runner: ``python -m benchmarks.run`` (or benchmarks/run.sh).

Installs what is missing, starts every process on 127.0.0.1, runs the bounded loads, stops
everything, writes benchmarks/results/<timestamp>/results.json and prints the tables.
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import signal
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from benchmarks import (
    drift_bench,
    full_stack_bench,
    ingest_bench,
    machine,
    payloads,
    report,
    router_bench,
    setup_tools,
    targets,
)
from benchmarks.context import RunContext
from benchmarks.gateway_load import Plan

log = logging.getLogger("benchmarks")

PHASES = ("gateways", "ingest", "drift", "full_stack")
# No phase starts after this many seconds (the phases after the gateways take 1-3 minutes
# each), which keeps a whole run under 15 minutes even on a machine busier than usual.
PHASE_START_BUDGET_S = 12 * 60
GATEWAYS = ("router", "portkey", "litellm")


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="benchmarks/run.sh", description=__doc__)
    p.add_argument("--phases", default=",".join(PHASES), help=f"comma list of {PHASES}")
    p.add_argument("--gateways", default=",".join(GATEWAYS), help=f"comma list of {GATEWAYS}")
    p.add_argument("--skip-install", action="store_true", help="use the tools already installed")
    p.add_argument("--quick", action="store_true", help="small request counts (a smoke run)")
    p.add_argument(
        "--profile",
        action="store_true",
        help="sample router and telemetry with py-spy under load (figures then not comparable)",
    )
    p.add_argument("--litellm-workers", type=int, default=2, help="LiteLLM uvicorn workers")
    p.add_argument("--results-dir", type=Path, default=None)
    return p.parse_args(argv)


def quick_plan() -> Plan:
    return Plan(
        c1_warmup=50,
        c1_requests=300,
        c1_requests_slow_gateway=100,
        c64_warmup_seconds=1,
        c64_seconds=3,
        ghz_requests=500,
        sample_calls=5,
    )


def _raise_on_sigterm(signum: int, frame: object) -> None:
    # Turn SIGTERM into an exception so every `processes.running` block stops its service.
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    signal.signal(signal.SIGTERM, _raise_on_sigterm)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    root = Path(__file__).resolve().parent.parent
    tools_dir = root / ".tools"
    phases = [p for p in args.phases.split(",") if p]
    gateways = [g for g in args.gateways.split(",") if g]
    unknown = (set(phases) - set(PHASES)) | (set(gateways) - set(GATEWAYS))
    if unknown:
        print(f"unknown phase or gateway: {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    if not args.skip_install:
        setup_tools.install_all(
            tools_dir,
            with_peers=bool({"portkey", "litellm"} & set(gateways)),
            with_profiler=args.profile,
        )
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out_dir = (args.results_dir or root / "benchmarks" / "results") / stamp
    (out_dir / "logs").mkdir(parents=True, exist_ok=True)
    work_dir = Path(tempfile.mkdtemp(prefix="llmcouncil-bench-"))
    ctx = RunContext(
        root=root,
        tools_dir=tools_dir,
        work_dir=work_dir,
        out_dir=out_dir,
        bodies=payloads.write_all(work_dir / "bodies"),
        profile=args.profile,
    )
    plan = quick_plan() if args.quick else Plan()
    results: dict[str, object] = {"machine": machine.describe(tools_dir), "plan": vars(plan)}
    started = time.monotonic()
    try:
        if "gateways" in phases:
            results["gateways"] = router_bench.run(ctx, plan, gateways, args.litellm_workers)
        for phase in ("ingest", "drift", "full_stack"):
            if phase not in phases:
                continue
            if time.monotonic() - started > PHASE_START_BUDGET_S:
                results[phase] = {"error": "skipped: the run's time budget is used up"}
                continue
            results[phase] = _run_optional_phase(phase, ctx, args.quick)
    finally:
        results["elapsed_s"] = round(time.monotonic() - started, 1)
        results["uptime_after"] = machine.describe(tools_dir)["uptime"]
        results["targets"] = targets.evaluate(results)
        (out_dir / "results.json").write_text(json.dumps(results, indent=2, default=str))
        shutil.rmtree(work_dir, ignore_errors=True)
    print(report.render(results, results["targets"]))  # type: ignore[arg-type]
    print(f"\nresults: {out_dir / 'results.json'}")
    return 0


def _run_optional_phase(phase: str, ctx: RunContext, quick: bool) -> dict[str, object]:
    """Phases that need the telemetry service; a failure is recorded, not fatal to the run."""
    runners = {
        "ingest": ingest_bench.run,
        "drift": drift_bench.run,
        "full_stack": full_stack_bench.run,
    }
    try:
        return runners[phase](ctx, quick)
    except Exception as exc:
        log.exception("phase %s failed", phase)
        return {"error": f"{type(exc).__name__}: {exc}"}


if __name__ == "__main__":
    raise SystemExit(main())
