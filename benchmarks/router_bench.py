"""Phase 1 and 4 (router side): added latency at c=1, throughput at c=64, peak RSS.

Every gateway is started alone (the others are stopped), measured against the same nginx
mock with the same h2load settings, then stopped. The direct-call baseline is h2load straight
to the mock: over HTTP/1.1 for the HTTP gateways and over cleartext HTTP/2 for the router,
whose clients speak gRPC (HTTP/2) to it while it speaks HTTP/1.1 to the upstream.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from benchmarks import (
    body_capture,
    grpc_check,
    h2load,
    mock_upstream,
    payloads,
    peer_bench,
    processes,
    profiling,
    services,
)
from benchmarks.context import RunContext
from benchmarks.gateway_load import Plan, grpc_target, measure, measure_c64

log = logging.getLogger(__name__)

JSON_HEADERS = payloads.JSON_HEADERS

Result = dict[str, Any]


def _direct_targets(ctx: RunContext, mock: mock_upstream.Mock, slow: bool) -> list[h2load.Target]:
    p = mock.ports
    h1, h2c = (p.slow_h1, p.slow_h2c) if slow else (p.fast_h1, p.fast_h2c)
    body = ctx.bodies["json_plain"]
    path = "/api/v1/chat/completions"
    return [
        h2load.Target("direct_h1", f"http://127.0.0.1:{h1}{path}", body, JSON_HEADERS, True),
        h2load.Target("direct_h2c", f"http://127.0.0.1:{h2c}{path}", body, JSON_HEADERS, False),
    ]


def _guarded(name: str, results: Result, step: Callable[[], None]) -> None:
    """Run one gateway's steps; a gateway that fails is recorded as failed, the run goes on."""
    try:
        step()
    except Exception as exc:
        log.exception("%s failed", name)
        results.setdefault("failures", {})[name] = f"{type(exc).__name__}: {exc}"


def _router_steps(
    ctx: RunContext,
    plan: Plan,
    mock: mock_upstream.Mock,
    results: Result,
    name: str,
    workers: int,
    with_latency: bool,
    extra_env: dict[str, str] | None = None,
) -> None:
    """Latency (fast mock) and throughput (20 ms mock) of one router configuration."""

    def start(slow: bool) -> tuple[processes.Service, int]:
        return services.start_router(
            ctx.root,
            ctx.work_dir,
            ctx.log_dir,
            name=f"{name}-{'slow' if slow else 'fast'}",
            base_url=mock.base_url(slow=slow),
            workers=workers,
            otlp_endpoint=None,
            extra_env=extra_env,
        )

    if with_latency:
        service, port = start(slow=False)
        with processes.running(service):
            target = grpc_target(name, port, ctx)
            results["checks"][f"{name}_fast_before"] = vars(
                grpc_check.sample_route_seat(port, plan.sample_calls)
            )
            served_before = mock.requests_served()
            with profiling.maybe_profile(
                ctx.tools_dir,
                ctx.profile,
                service.pid,
                ctx.out_dir,
                f"{name}-c1",
                results["profiles"],
            ):
                results["latency_c1"][name] = measure(
                    target,
                    1,
                    plan.c1_warmup,
                    plan.c1_requests,
                    ctx.out_dir,
                    f"{name}-c1",
                    service,
                )
            # Warm-up + measured requests, plus the counter request itself.
            results["checks"][f"{name}_fast_upstream_calls"] = {
                "upstream": mock.requests_served() - served_before - 1,
                "expected": plan.c1_warmup + plan.c1_requests,
            }
            results["checks"][f"{name}_fast_after"] = vars(
                grpc_check.sample_route_seat(port, plan.sample_calls)
            )
    service, port = start(slow=True)
    with processes.running(service):
        target = grpc_target(name, port, ctx)
        served_before = mock.requests_served()
        with profiling.maybe_profile(
            ctx.tools_dir,
            ctx.profile,
            service.pid,
            ctx.out_dir,
            f"{name}-c64",
            results["profiles"],
        ):
            results["throughput_c64"][name] = measure_c64(
                target, plan, ctx.out_dir, f"{name}-c64", service
            )
        results["checks"][f"{name}_slow_upstream_calls"] = {
            "upstream": mock.requests_served() - served_before - 1,
            "expected": int(results["throughput_c64"][name]["warmup_requests"])
            + int(results["throughput_c64"][name]["requests"]),
        }
        results["memory"][name] = peer_bench.memory_summary(service)
        results["checks"][f"{name}_slow_after"] = vars(
            grpc_check.sample_route_seat(port, plan.sample_calls)
        )
        if ctx.ghz.exists():
            results["ghz_c64"][name] = grpc_check.run_ghz(
                ctx.ghz,
                ctx.root,
                port,
                ctx.bodies["grpc_raw"],
                plan.c64_clients,
                plan.ghz_requests,
                ctx.out_dir / f"ghz-{name}.json",
            )


def _router_body_check(ctx: RunContext, results: Result) -> None:
    """One RouteSeat through a router pointed at the capture server: the plugin it sends."""
    with body_capture.capture() as cap:
        service, port = services.start_router(
            ctx.root,
            ctx.work_dir,
            ctx.log_dir,
            name="router-body",
            base_url=body_capture.base_url(cap),
            workers=1,
            otlp_endpoint=None,
        )
        with processes.running(service):
            grpc_check.sample_route_seat(port, 1)
        results["checks"]["upstream_plugins_router"] = body_capture.plugins_seen(cap)


def added_latency(latency: Result) -> Result:
    """Gateway latency minus the direct baseline of the same client protocol, in ms."""
    added: Result = {}
    for name, row in latency.items():
        if name.startswith("direct") or "latency_ms_p50" not in row:
            continue
        grpc_side = name.startswith(("router", "floor"))
        base = latency.get("direct_h2c" if grpc_side else "direct_h1")
        if not base:
            continue
        added[name] = {
            "baseline": "direct_h2c" if grpc_side else "direct_h1",
            "p50_ms": round(float(row["latency_ms_p50"]) - float(base["latency_ms_p50"]), 3),
            "p99_ms": round(float(row["latency_ms_p99"]) - float(base["latency_ms_p99"]), 3),
        }
    return added


def run(ctx: RunContext, plan: Plan, gateways: list[str], litellm_workers: int) -> Result:
    results: Result = {
        "latency_c1": {},
        "throughput_c64": {},
        "memory": {},
        "checks": {},
        "ghz_c64": {},
        "profiles": {},
    }
    mock = mock_upstream.start_mock(ctx.work_dir / "nginx", ctx.log_dir)
    with processes.running(mock.service):
        for target in _direct_targets(ctx, mock, slow=False):
            results["latency_c1"][target.name] = measure(
                target, 1, plan.c1_warmup, plan.c1_requests, ctx.out_dir, f"{target.name}-c1", None
            )
        for target in _direct_targets(ctx, mock, slow=True):
            results["throughput_c64"][target.name] = measure_c64(
                target, plan, ctx.out_dir, f"{target.name}-c64", None
            )
        if "router" in gateways:
            _guarded("router_body", results, lambda: _router_body_check(ctx, results))
            _guarded("floor", results, lambda: peer_bench.floor_steps(ctx, plan, mock, results))
            _guarded(
                "router",
                results,
                lambda: _router_steps(ctx, plan, mock, results, "router", 2, True),
            )
            _guarded(
                "router_w1",
                results,
                lambda: _router_steps(ctx, plan, mock, results, "router_w1", 1, False),
            )
            # The same router with one default changed, side by side with the defaults
            # (aiohttp on the asyncio loop): uvloop, and the httpx client DESIGN.md names.
            variants = {
                "router_uvloop": {"ROUTER_EVENT_LOOP": "uvloop"},
                "router_httpx": {"ROUTER_HTTP_CLIENT": "httpx"},
            }
            for variant, env in variants.items():
                _guarded(
                    variant,
                    results,
                    functools.partial(
                        _router_steps, ctx, plan, mock, results, variant, 2, True, extra_env=env
                    ),
                )
        if "portkey" in gateways:
            _guarded("portkey", results, lambda: peer_bench.portkey_steps(ctx, plan, mock, results))
        if "litellm" in gateways:
            _guarded(
                "litellm",
                results,
                lambda: peer_bench.litellm_steps(ctx, plan, mock, results, litellm_workers),
            )
    results["added_latency_c1"] = added_latency(results["latency_c1"])
    return results
