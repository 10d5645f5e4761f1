"""The peers' and reference servers' steps of the gateways phase (see router_bench)."""

from __future__ import annotations

import secrets
import sys
from typing import Any

from benchmarks import body_capture, h2load, mock_upstream, payloads, peers, processes, setup_tools
from benchmarks.context import RunContext
from benchmarks.gateway_load import Plan, grpc_target, measure, measure_c64

Result = dict[str, Any]
JSON_HEADERS = payloads.JSON_HEADERS


def memory_summary(service: processes.Service) -> Result:
    report = service.memory()
    return {
        "peak_rss_mib_sum": report.peak_rss_mib_sum,
        "peak_rss_mib_max_process": report.peak_rss_mib_max,
        "processes": len(report.peak_rss_mib_per_process),
    }


def portkey_steps(ctx: RunContext, plan: Plan, mock: mock_upstream.Mock, results: Result) -> None:
    paths = peers.tool_paths(ctx.tools_dir)
    service, port = peers.start_portkey(paths, ctx.log_dir)
    url = f"http://127.0.0.1:{port}/v1/chat/completions"
    body = ctx.bodies["json_plugin"]
    with processes.running(service):
        with body_capture.capture() as cap:
            peers.post_json(
                url,
                payloads.chat_body(with_plugin=True),
                peers.portkey_headers(body_capture.base_url(cap)),
            )
            results["checks"]["upstream_plugins_portkey"] = body_capture.plugins_seen(cap)
        fast = h2load.Target(
            "portkey", url, body, peers.portkey_headers(mock.base_url(False)), True
        )
        results["latency_c1"]["portkey"] = measure(
            fast, 1, plan.c1_warmup, plan.c1_requests, ctx.out_dir, "portkey-c1", service
        )
        slow = h2load.Target("portkey", url, body, peers.portkey_headers(mock.base_url(True)), True)
        results["throughput_c64"]["portkey"] = measure_c64(
            slow, plan, ctx.out_dir, "portkey-c64", service
        )
        results["memory"]["portkey"] = memory_summary(service)


def litellm_steps(
    ctx: RunContext,
    plan: Plan,
    mock: mock_upstream.Mock,
    results: Result,
    workers: int,
) -> None:
    with body_capture.capture() as cap:
        _litellm_steps(ctx, plan, mock, results, workers, cap)


def _litellm_steps(
    ctx: RunContext,
    plan: Plan,
    mock: mock_upstream.Mock,
    results: Result,
    workers: int,
    cap: body_capture.CaptureServer,
) -> None:
    paths = peers.tool_paths(ctx.tools_dir)
    master_key = "sk-" + secrets.token_hex(24)
    service, port = peers.start_litellm(
        paths,
        mock.base_url(False),
        mock.base_url(True),
        ctx.work_dir,
        ctx.log_dir,
        workers,
        master_key,
        body_capture.base_url(cap),
    )
    url = f"http://127.0.0.1:{port}/v1/chat/completions"
    headers = (*JSON_HEADERS, f"authorization: Bearer {master_key}")
    with processes.running(service):
        peers.post_json(url, peers.litellm_body(peers.LITELLM_CAPTURE_MODEL), headers)
        results["checks"]["upstream_plugins_litellm"] = body_capture.plugins_seen(cap)
        for model, key in ((peers.LITELLM_FAST_MODEL, "fast"), (peers.LITELLM_SLOW_MODEL, "slow")):
            body_file = ctx.work_dir / f"litellm-{key}.json"
            body_file.write_text(peers.json_text(peers.litellm_body(model)))
        fast = h2load.Target("litellm", url, ctx.work_dir / "litellm-fast.json", headers, True)
        results["latency_c1"]["litellm"] = measure(
            fast,
            1,
            plan.c1_warmup // 4,
            plan.c1_requests_slow_gateway,
            ctx.out_dir,
            "litellm-c1",
            service,
        )
        slow = h2load.Target("litellm", url, ctx.work_dir / "litellm-slow.json", headers, True)
        results["throughput_c64"]["litellm"] = measure_c64(
            slow, plan, ctx.out_dir, "litellm-c64", service
        )
        results["memory"]["litellm"] = memory_summary(service)


def floor_steps(ctx: RunContext, plan: Plan, mock: mock_upstream.Mock, results: Result) -> None:
    """The reference servers of floor_server.py, measured exactly like the router."""
    hx_aiohttp = setup_tools.experiment_lib(ctx.tools_dir, "httpx_aiohttp")
    variants = [
        ("floor_grpc", "grpc", None),
        ("floor_grpc_httpx", "grpc_httpx", None),
        ("floor_grpc_aiohttp", "grpc_aiohttp", None),
        ("floor_grpc_httpx_aiohttp", "grpc_httpx_aiohttp", hx_aiohttp),
        ("floor_grpc_aiohttp_uvloop", "grpc_aiohttp_uvloop", None),
    ]
    for name, mode, lib in variants:
        if lib is not None and not lib.exists():
            continue
        env = {"PYTHONPATH": f"{lib}:{ctx.root}"} if lib is not None else None
        for slow in (False, True):
            port_file = ctx.work_dir / f"{name}-{slow}.port"
            argv = [
                sys.executable,
                "-m",
                "benchmarks.floor_server",
                "--mode",
                mode,
                "--upstream",
                mock.base_url(slow=slow),
                "--port-file",
                str(port_file),
            ]
            service = processes.start(name, argv, ctx.log_dir, env=env, cwd=ctx.root)
            with processes.running(service):
                port = processes.wait_for_port_file(port_file, 30, service.proc)
                target = grpc_target(name, port, ctx)
                if slow:
                    results["throughput_c64"][name] = measure_c64(
                        target, plan, ctx.out_dir, f"{name}-c64", service
                    )
                else:
                    results["latency_c1"][name] = measure(
                        target,
                        1,
                        plan.c1_warmup,
                        plan.c1_requests,
                        ctx.out_dir,
                        f"{name}-c1",
                        service,
                    )
