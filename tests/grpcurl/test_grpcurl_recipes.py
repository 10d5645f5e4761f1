"""Each grpcurl recipe in examples/grpcurl.md, as a user types it, against a real router."""

from __future__ import annotations

import json
import re

from openrouter_sim import SimServer
from tests.grpcurl.grpcurl_recipes import read_recipes, run_recipe

RECIPES = read_recipes()
DOMAIN = "router.llmcouncil.io"
# grpcurl exits with 64 + the gRPC status code when the call fails.
EXIT_INVALID_ARGUMENT = 64 + 3


def recipe(title: str) -> str:
    assert title in RECIPES, f"examples/grpcurl.md has no recipe {title!r}: {sorted(RECIPES)}"
    return RECIPES[title]


def test_document_has_every_tested_recipe() -> None:
    assert set(RECIPES) == {
        "List the services",
        "Describe the router service",
        "Route one seat",
        "Stream one seat",
        "List the tiers",
        "Check health",
        "See an error's details",
        "See an error as JSON",
    }


async def test_list_shows_router_health_and_reflection(router_target: str) -> None:
    result = await run_recipe(recipe("List the services"), router_target)

    assert result.returncode == 0, result.explain()
    assert set(result.stdout.split()) >= {
        "llmcouncil.router.v1.RouterService",
        "grpc.health.v1.Health",
    }


async def test_describe_shows_the_four_rpcs(router_target: str) -> None:
    result = await run_recipe(recipe("Describe the router service"), router_target)

    assert result.returncode == 0, result.explain()
    rpcs = re.findall(r"^\s*rpc (\w+) \(", result.stdout, re.M)
    assert sorted(rpcs) == ["ListTiers", "RecordSeatReview", "RouteSeat", "StreamSeat"]
    assert "returns ( stream .llmcouncil.router.v1.StreamSeatResponse )" in result.stdout


async def test_route_seat_answers_with_the_model_the_simulator_resolved(
    router_target: str, grpcurl_sim: SimServer
) -> None:
    result = await run_recipe(recipe("Route one seat"), router_target)

    assert result.returncode == 0, result.explain()
    (answer,) = result.json_messages()
    assert answer["resolved_model"] == grpcurl_sim.resolve(0.5)
    assert answer["tier"] == "TIER_BALANCED"
    assert answer["pareto"]["band"] == "PARETO_BAND_MEDIUM"
    assert answer["pareto"]["min_coding_score"] == 0.5
    assert int(answer["usage"]["output_tokens"]) > 0


async def test_stream_seat_prints_deltas_then_one_summary(
    router_target: str, grpcurl_sim: SimServer
) -> None:
    result = await run_recipe(recipe("Stream one seat"), router_target)

    assert result.returncode == 0, result.explain()
    *deltas, last = result.json_messages()
    assert deltas and all(set(m) == {"delta"} for m in deltas)
    summary = last["summary"]
    assert summary["content"] == "".join(m["delta"] for m in deltas)
    assert summary["resolved_model"] == grpcurl_sim.resolve(0.5)


async def test_list_tiers_shows_the_five_tiers(router_target: str) -> None:
    result = await run_recipe(recipe("List the tiers"), router_target)

    assert result.returncode == 0, result.explain()
    (answer,) = result.json_messages()
    assert [t["tier"] for t in answer["tiers"]] == [
        "TIER_QUICK",
        "TIER_BALANCED",
        "TIER_HIGH",
        "TIER_REASONING",
        "TIER_FRONTIER",
    ]


async def test_health_check_reports_serving(router_target: str) -> None:
    result = await run_recipe(recipe("Check health"), router_target)

    assert result.returncode == 0, result.explain()
    assert result.json_messages() == [{"status": "SERVING"}]


async def test_error_details_are_printed_readably(
    router_target: str, grpcurl_sim: SimServer
) -> None:
    result = await run_recipe(recipe("See an error's details"), router_target)

    assert result.returncode == EXIT_INVALID_ARGUMENT, result.explain()
    assert "Code: InvalidArgument" in result.stderr
    details = [
        json.loads(line) for line in re.findall(r"^\s*\d+\)\s+(\{.*\})$", result.stderr, re.M)
    ]
    by_type = {d["@type"].rsplit("/", 1)[-1]: d for d in details}
    assert by_type["google.rpc.ErrorInfo"]["reason"] == "INVALID_REQUEST"
    assert by_type["google.rpc.ErrorInfo"]["domain"] == DOMAIN
    violations = by_type["google.rpc.BadRequest"]["field_violations"]
    assert [v["field"] for v in violations] == ["model"]
    assert [r for r in grpcurl_sim.requests if r.path.endswith("/chat/completions")] == []


async def test_format_error_prints_the_status_as_json(router_target: str) -> None:
    result = await run_recipe(recipe("See an error as JSON"), router_target)

    assert result.returncode == EXIT_INVALID_ARGUMENT, result.explain()
    status = json.loads(result.stderr)
    assert status["code"] == 3
    reasons = [d.get("reason") for d in status["details"]]
    assert "INVALID_REQUEST" in reasons
    (bad_request,) = [d for d in status["details"] if d["@type"].endswith("google.rpc.BadRequest")]
    assert bad_request["field_violations"][0]["field"] == "model"
