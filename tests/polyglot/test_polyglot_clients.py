"""The Go, Java and Node.js example clients against a real router and the simulator.

Each client is generated from protos/ without edits, calls RouteSeat and StreamSeat,
and decodes the google.rpc details of an error status.
"""

from __future__ import annotations

import pytest

from openrouter_sim import Fault, SimServer
from tests.polyglot.polyglot_clients import ClientSpec, run_client
from tests.polyglot.polyglot_router import RouterProcess

pytestmark = pytest.mark.polyglot

# The balanced tier steers the Pareto Router with min_coding_score 0.5 (medium band).
BALANCED_SCORE = 0.5
DOMAIN = "router.llmcouncil.io"


def chat_requests(sim: SimServer) -> list[dict[str, object] | None]:
    """Bodies of the chat completions the simulator received."""
    return [r.body for r in sim.requests if r.path.endswith("/chat/completions")]


def pareto_plugin(body: dict[str, object]) -> dict[str, object]:
    plugins = body.get("plugins")
    assert isinstance(plugins, list)
    (plugin,) = [p for p in plugins if isinstance(p, dict) and p.get("id") == "pareto-router"]
    return plugin


def test_route_prints_the_model_the_simulator_resolved_for_the_balanced_tier(
    client: ClientSpec, polyglot_router: RouterProcess, polyglot_sim: SimServer
) -> None:
    out = run_client(client, [polyglot_router.target, "route"])

    assert out.returncode == 0, out.explain(polyglot_router.log_tail())
    assert out.one("resolved_model") == polyglot_sim.resolve(BALANCED_SCORE)
    assert out.one("requested_model") == "openrouter/pareto-code"
    assert out.one("tier") == "TIER_BALANCED"
    assert out.one("band") == "PARETO_BAND_MEDIUM"
    assert float(out.one("min_coding_score")) == BALANCED_SCORE
    assert int(out.one("input_tokens")) > 0
    assert int(out.one("output_tokens")) > 0
    assert float(out.one("cost_usd")) > 0
    assert out.one("generation_id").startswith("gen-")
    assert out.one("resolved_model") in out.text("content")
    # What the client put in the request reached OpenRouter through the router.
    (sent,) = chat_requests(polyglot_sim)
    assert sent is not None
    assert pareto_plugin(sent)["min_coding_score"] == BALANCED_SCORE
    assert sent["session_id"] == f"example-session-{client.name}"


def test_stream_prints_deltas_then_a_summary_whose_content_joins_them(
    client: ClientSpec, polyglot_router: RouterProcess, polyglot_sim: SimServer
) -> None:
    out = run_client(client, [polyglot_router.target, "stream"])

    assert out.returncode == 0, out.explain(polyglot_router.log_tail())
    keys = [key for key, _ in out.lines]
    deltas = [key for key in keys if key == "delta"]
    assert len(deltas) > 1, out.explain(polyglot_router.log_tail())
    assert keys.index("summary.resolved_model") > max(
        i for i, key in enumerate(keys) if key == "delta"
    )
    joined = "".join(out.text_values("delta"))
    assert joined == out.text("summary.content")
    assert out.one("summary.resolved_model") == polyglot_sim.resolve(BALANCED_SCORE)
    assert out.one("summary.band") == "PARETO_BAND_MEDIUM"
    assert int(out.one("summary.output_tokens")) > 0
    (sent,) = chat_requests(polyglot_sim)
    assert sent is not None
    assert sent["stream"] is True


def test_error_prints_invalid_argument_with_error_info_and_bad_request(
    client: ClientSpec, polyglot_router: RouterProcess, polyglot_sim: SimServer
) -> None:
    out = run_client(client, [polyglot_router.target, "error"])

    assert out.returncode == 0, out.explain(polyglot_router.log_tail())
    assert out.one("code") == "INVALID_ARGUMENT"
    assert out.one("error_info.reason") == "INVALID_REQUEST"
    assert out.one("error_info.domain") == DOMAIN
    assert [v.split(":")[0] for v in out.values("field_violation")] == ["model"]
    assert chat_requests(polyglot_sim) == []


@pytest.mark.parametrize(
    ("fault", "code", "reason", "retry_delay_ms"),
    [
        pytest.param(
            Fault(kind="http_error", status=429, retry_after_s=7.0, count=1),
            "RESOURCE_EXHAUSTED",
            "UPSTREAM_RATE_LIMITED",
            "7000",
            id="429-rate-limited-with-retry-info",
        ),
        pytest.param(
            Fault(kind="http_error", status=402, count=1),
            "FAILED_PRECONDITION",
            "UPSTREAM_INSUFFICIENT_CREDITS",
            None,
            id="402-out-of-credits",
        ),
    ],
)
def test_upstream_error_prints_code_reason_and_retry_delay(
    client: ClientSpec,
    polyglot_router: RouterProcess,
    polyglot_sim: SimServer,
    fault: Fault,
    code: str,
    reason: str,
    retry_delay_ms: str | None,
) -> None:
    polyglot_sim.inject(fault)

    out = run_client(client, [polyglot_router.target, "route"])

    assert out.returncode == 2, out.explain(polyglot_router.log_tail())
    assert out.one("code") == code
    assert out.one("error_info.reason") == reason
    assert out.one("error_info.domain") == DOMAIN
    assert out.values("retry_delay_ms") == ([] if retry_delay_ms is None else [retry_delay_ms])


def test_stream_error_after_deltas_prints_the_deltas_then_unavailable(
    client: ClientSpec, polyglot_router: RouterProcess, polyglot_sim: SimServer
) -> None:
    polyglot_sim.inject(Fault(kind="stream_error", count=1))

    out = run_client(client, [polyglot_router.target, "stream"])

    assert out.returncode == 2, out.explain(polyglot_router.log_tail())
    keys = [key for key, _ in out.lines]
    assert keys[0] == "delta"
    assert "summary.content" not in keys
    assert out.one("code") == "UNAVAILABLE"
    assert out.one("error_info.reason") == "UPSTREAM_STREAM_ERROR"
    assert keys.index("code") > max(i for i, key in enumerate(keys) if key == "delta")
