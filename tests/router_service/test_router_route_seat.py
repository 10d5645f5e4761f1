"""RouteSeat end to end: real router on port 0, real aio channel, simulator on loopback."""

from __future__ import annotations

from pathlib import Path

import pytest
from llmcouncil.router.v1 import router_service_pb2 as pb
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from openrouter_sim import SimServer
from router_service.upstream_http import HTTP_CLIENTS
from tests.router_service.router_helpers import (
    API_KEY,
    PARETO,
    RouterHarness,
    StartRouter,
    chat_requests,
    chat_spans,
    seat_request,
)

TIMEOUT_S = 10.0
DATA = Path(__file__).resolve().parents[2] / "router_service" / "data"


@pytest.fixture(params=HTTP_CLIENTS)
def http_client(request: pytest.FixtureRequest) -> str:
    """Every test here runs once per upstream HTTP library."""
    return str(request.param)


@pytest.mark.parametrize(
    ("tier", "plugin", "band"),
    [
        pytest.param(
            pb.TIER_QUICK,
            {"id": "pareto-router", "min_coding_score": 0.2},
            pb.PARETO_BAND_LOW,
            id="quick",
        ),
        pytest.param(
            pb.TIER_BALANCED,
            {"id": "pareto-router", "min_coding_score": 0.5},
            pb.PARETO_BAND_MEDIUM,
            id="balanced",
        ),
        pytest.param(
            pb.TIER_HIGH,
            {"id": "pareto-router", "min_coding_score": 0.8},
            pb.PARETO_BAND_HIGH,
            id="high",
        ),
        pytest.param(
            pb.TIER_REASONING,
            {"id": "pareto-router", "min_coding_score": 0.9},
            pb.PARETO_BAND_HIGH,
            id="reasoning",
        ),
        pytest.param(pb.TIER_FRONTIER, {"id": "pareto-router"}, pb.PARETO_BAND_HIGH, id="frontier"),
    ],
)
async def test_pareto_seat_body_and_band_per_tier(
    router: RouterHarness, sim: SimServer, tier: int, plugin: dict[str, object], band: int
) -> None:
    response = await router.stub.RouteSeat(seat_request(PARETO, tier), timeout=TIMEOUT_S)
    (sent,) = chat_requests(sim)
    assert sent.body["plugins"] == [plugin]
    assert sent.body["model"] == PARETO
    assert response.pareto.applied and response.pareto.band == band
    score = plugin.get("min_coding_score")
    assert response.pareto.HasField("min_coding_score") is (score is not None)
    assert response.resolved_model == sim.resolve(min_coding_score=score)  # type: ignore[arg-type]
    assert response.resolved_model != PARETO


async def test_score_override_reaches_openrouter(router: RouterHarness, sim: SimServer) -> None:
    request = seat_request(PARETO, pb.TIER_QUICK, min_coding_score=0.7)
    response = await router.stub.RouteSeat(request, timeout=TIMEOUT_S)
    assert chat_requests(sim)[0].body["plugins"][0]["min_coding_score"] == 0.7
    assert response.pareto.min_coding_score == 0.7
    assert response.pareto.band == pb.PARETO_BAND_HIGH


async def test_nitro_option_requests_the_nitro_variant(
    router: RouterHarness, sim: SimServer
) -> None:
    request = seat_request(PARETO, pb.TIER_HIGH, pareto=pb.ParetoOptions(nitro=True))
    response = await router.stub.RouteSeat(request, timeout=TIMEOUT_S)
    assert chat_requests(sim)[0].body["model"] == f"{PARETO}:nitro"
    assert response.requested_model == f"{PARETO}:nitro"
    assert response.pareto.nitro
    assert response.resolved_model == sim.resolve(min_coding_score=0.8, nitro=True)


async def test_named_model_is_served_as_itself_without_plugin(
    router: RouterHarness, sim: SimServer
) -> None:
    response = await router.stub.RouteSeat(
        seat_request("qwen/qwen3-coder", pb.TIER_QUICK), timeout=TIMEOUT_S
    )
    assert "plugins" not in chat_requests(sim)[0].body
    assert response.resolved_model == "qwen/qwen3-coder"
    assert not response.pareto.applied
    assert response.pareto.band == pb.PARETO_BAND_UNSPECIFIED


async def test_response_carries_usage_cost_routing_and_echoes(
    router: RouterHarness, sim: SimServer
) -> None:
    request = seat_request(
        PARETO, pb.TIER_BALANCED, session_id="council-7", seat_id="seat-3", pool_models=["x/y"]
    )
    response = await router.stub.RouteSeat(request, timeout=TIMEOUT_S)
    assert response.content
    assert response.generation_id.startswith("gen-")
    assert response.provider
    assert response.finish_reason == "stop" and response.native_finish_reason == "stop"
    assert response.usage.input_tokens > 0 and response.usage.output_tokens > 0
    assert response.usage.HasField("cost_usd") and response.usage.cost_usd > 0
    assert response.attempts == 1
    assert response.latency.ToNanoseconds() > 0
    assert not response.HasField("time_to_first_token")
    assert response.routing.strategy == "pareto"
    assert response.routing.requested == PARETO
    assert response.routing.endpoints_total == len(response.routing.endpoints) > 0
    selected = [e.model for e in response.routing.endpoints if e.selected]
    assert selected == [response.resolved_model]
    assert response.routing.raw.fields["strategy"].string_value == "pareto"
    assert (response.tier, response.session_id, response.seat_id) == (
        pb.TIER_BALANCED,
        "council-7",
        "seat-3",
    )
    assert len(response.trace_id) == 32 and int(response.trace_id, 16)


async def test_headers_and_session_id_sent_upstream(router: RouterHarness, sim: SimServer) -> None:
    await router.stub.RouteSeat(seat_request(session_id="council-9"), timeout=TIMEOUT_S)
    (sent,) = chat_requests(sim)
    assert sent.headers["authorization"] == f"Bearer {API_KEY}"
    assert sent.headers["x-openrouter-metadata"] == "enabled"
    assert sent.headers["http-referer"] == router.settings.app_url
    assert sent.headers["x-openrouter-title"] == router.settings.app_title
    assert sent.body["session_id"] == "council-9"


async def test_duplicate_of_pool_when_pareto_resolves_to_a_pool_model(
    router: RouterHarness, sim: SimServer
) -> None:
    resolved = sim.resolve(min_coding_score=0.5)
    duplicate = await router.stub.RouteSeat(
        seat_request(pool_models=["a/other", f"{resolved}:nitro"]), timeout=TIMEOUT_S
    )
    assert duplicate.resolved_model == resolved and duplicate.duplicate_of_pool
    distinct = await router.stub.RouteSeat(seat_request(pool_models=["a/other"]), timeout=TIMEOUT_S)
    assert not distinct.duplicate_of_pool


async def test_duplicate_uses_the_tier_pool_when_the_request_has_none(
    start_router: StartRouter, sim: SimServer, tmp_path: Path
) -> None:
    resolved = sim.resolve(min_coding_score=0.5)
    text = (
        (DATA / "tiers.yaml")
        .read_text()
        .replace(
            "pool: [google/gemini-3.1-pro-preview,",
            f"pool: [{resolved}, google/gemini-3.1-pro-preview,",
        )
    )
    (tmp_path / "tiers.yaml").write_text(text)
    harness = await start_router(config_dir=tmp_path)
    response = await harness.stub.RouteSeat(seat_request(), timeout=TIMEOUT_S)
    assert response.duplicate_of_pool


async def test_chat_span_carries_the_contract_attributes(
    router: RouterHarness, sim: SimServer, span_exporter: InMemorySpanExporter
) -> None:
    request = seat_request(
        PARETO,
        pb.TIER_BALANCED,
        session_id="council-1",
        seat_id="seat-p",
        pool_models=["qwen/qwen3-coder"],
        temperature=0.3,
        max_tokens=100,
        seed=5,
        stop=["END"],
        top_p=0.9,
    )
    response = await router.stub.RouteSeat(request, timeout=TIMEOUT_S)
    (span,) = chat_spans(span_exporter.get_finished_spans())
    a = dict(span.attributes or {})
    assert span.name == f"chat {PARETO}"
    assert span.kind == SpanKind.CLIENT
    assert format(span.context.trace_id, "032x") == response.trace_id
    assert a["gen_ai.operation.name"] == "chat"
    assert a["gen_ai.provider.name"] == "openrouter"
    assert a["gen_ai.request.model"] == PARETO
    assert a["gen_ai.response.model"] == response.resolved_model
    assert a["gen_ai.response.id"] == response.generation_id
    assert a["gen_ai.response.finish_reasons"] == ("stop",)
    assert a["gen_ai.conversation.id"] == "council-1"
    assert a["llm_council.session.id"] == "council-1"
    assert a["llm_council.seat.id"] == "seat-p"
    assert a["llm_council.tier"] == "balanced"
    assert a["llm_council.pool.models"] == ("qwen/qwen3-coder",)
    assert a["llm_council.duplicate_of_pool"] is response.duplicate_of_pool
    assert a["llm_council.attempts"] == 1
    assert a["llm_council.streaming"] is False
    assert a["gen_ai.usage.input_tokens"] == response.usage.input_tokens
    assert a["gen_ai.usage.output_tokens"] == response.usage.output_tokens
    assert a["gen_ai.usage.cache_read.input_tokens"] == response.usage.cached_tokens
    assert a["gen_ai.usage.reasoning.output_tokens"] == response.usage.reasoning_tokens
    assert a["gen_ai.request.temperature"] == 0.3
    assert a["gen_ai.request.top_p"] == 0.9
    assert a["gen_ai.request.max_tokens"] == 100
    assert a["gen_ai.request.seed"] == 5
    assert a["gen_ai.request.stop_sequences"] == ("END",)
    assert a["server.address"] == "127.0.0.1" and a["server.port"] == sim.port
    assert a["openrouter.provider"] == response.provider
    assert a["openrouter.cost_usd"] == response.usage.cost_usd
    assert a["openrouter.pareto.applied"] is True
    assert a["openrouter.pareto.min_coding_score"] == 0.5
    assert a["openrouter.pareto.band"] == "medium"
    assert a["openrouter.pareto.nitro"] is False
    assert a["openrouter.routing.strategy"] == "pareto"
    assert a["openrouter.routing.attempt"] == 1
    assert a["openrouter.routing.endpoints_total"] == response.routing.endpoints_total
    assert a["openrouter.routing.summary"] == response.routing.summary
    assert "gen_ai.input.messages" not in a and "gen_ai.output.messages" not in a
    assert "error.type" not in a
    assert span.status.status_code != StatusCode.ERROR


async def test_frontier_span_has_no_score_and_named_span_has_no_band(
    router: RouterHarness, span_exporter: InMemorySpanExporter
) -> None:
    await router.stub.RouteSeat(seat_request(PARETO, pb.TIER_FRONTIER), timeout=TIMEOUT_S)
    await router.stub.RouteSeat(seat_request("qwen/qwen3-coder", pb.TIER_QUICK), timeout=TIMEOUT_S)
    frontier, named = (
        dict(s.attributes or {}) for s in chat_spans(span_exporter.get_finished_spans())
    )
    assert "openrouter.pareto.min_coding_score" not in frontier
    assert frontier["openrouter.pareto.band"] == "high"
    assert named["openrouter.pareto.applied"] is False
    assert "openrouter.pareto.band" not in named


async def test_content_is_captured_only_when_enabled(
    start_router: StartRouter, span_exporter: InMemorySpanExporter
) -> None:
    harness = await start_router(capture_content=True)
    response = await harness.stub.RouteSeat(seat_request(), timeout=TIMEOUT_S)
    (span,) = chat_spans(span_exporter.get_finished_spans())
    a = dict(span.attributes or {})
    assert '"content": "hi"' in str(a["gen_ai.input.messages"])
    assert response.content[:20] in str(a["gen_ai.output.messages"])


async def test_list_tiers_reports_the_configuration(router: RouterHarness) -> None:
    response = await router.stub.ListTiers(pb.ListTiersRequest(), timeout=TIMEOUT_S)
    names = [t.name for t in response.tiers]
    assert names == ["quick", "balanced", "high", "reasoning", "frontier"]
    by_name = {t.name: t for t in response.tiers}
    assert by_name["balanced"].min_coding_score == 0.5
    assert by_name["balanced"].band == pb.PARETO_BAND_MEDIUM
    assert by_name["balanced"].includes_pareto_seat
    assert by_name["balanced"].pool_models[-1] == PARETO
    assert by_name["quick"].band == pb.PARETO_BAND_LOW
    assert not by_name["frontier"].HasField("min_coding_score")
    assert by_name["frontier"].band == pb.PARETO_BAND_HIGH
    assert by_name["quick"].timeout.seconds == 30
    assert by_name["high"].expected_cost_usd == 0.015
    assert not by_name["frontier"].HasField("expected_cost_usd")


async def test_record_seat_review_emits_an_evaluation_event(
    router: RouterHarness, span_exporter: InMemorySpanExporter
) -> None:
    review = pb.RecordSeatReviewRequest(
        session_id="council-1",
        seat_id="seat-p",
        generation_id="gen-1",
        reviewer="anthropic/claude-opus-4.7",
        score=8.5,
        rank=1,
        borda_points=3.0,
        tier=pb.TIER_HIGH,
        resolved_model="qwen/qwen3-coder",
        requested_model=PARETO,
    )
    response = await router.stub.RecordSeatReview(review, timeout=TIMEOUT_S)
    (span,) = [s for s in span_exporter.get_finished_spans() if s.name.startswith("evaluate")]
    assert span.name == "evaluate seat-p"
    assert span.kind == SpanKind.INTERNAL
    assert format(span.context.trace_id, "032x") == response.trace_id
    (event,) = span.events
    assert event.name == "gen_ai.evaluation.result"
    assert dict(event.attributes or {}) == {
        "gen_ai.evaluation.name": "council_peer_review",
        "gen_ai.evaluation.score.value": 8.5,
        "gen_ai.response.id": "gen-1",
        "gen_ai.response.model": "qwen/qwen3-coder",
        "gen_ai.request.model": PARETO,
        "llm_council.session.id": "council-1",
        "llm_council.seat.id": "seat-p",
        "llm_council.tier": "high",
        "llm_council.review.reviewer": "anthropic/claude-opus-4.7",
        "llm_council.review.rank": 1,
        "llm_council.review.borda_points": 3.0,
    }


async def test_review_without_rank_or_borda_leaves_them_out(
    router: RouterHarness, span_exporter: InMemorySpanExporter
) -> None:
    review = pb.RecordSeatReviewRequest(
        session_id="s", generation_id="gen-2", reviewer="human", score=3.0
    )
    await router.stub.RecordSeatReview(review, timeout=TIMEOUT_S)
    (span,) = span_exporter.get_finished_spans()
    assert span.name == "evaluate gen-2"
    attrs = dict(span.events[0].attributes or {})
    assert "llm_council.review.rank" not in attrs
    assert "llm_council.review.borda_points" not in attrs
    assert "llm_council.tier" not in attrs


async def test_list_tiers_shows_the_wildcard_seat_when_configured(
    start_router: StartRouter, tmp_path: Path
) -> None:
    text = (DATA / "tiers.yaml").read_text().replace("wildcard: false", "wildcard: true")
    (tmp_path / "tiers.yaml").write_text(text)
    harness = await start_router(config_dir=tmp_path)
    response = await harness.stub.ListTiers(pb.ListTiersRequest(), timeout=TIMEOUT_S)
    assert all(t.includes_pareto_seat and t.wildcard_seat == "wildcard" for t in response.tiers)
    assert all(t.pool_models[-1] == PARETO for t in response.tiers)


async def test_the_configured_http_client_sends_the_call(
    router: RouterHarness, sim: SimServer, http_client: str
) -> None:
    response = await router.stub.RouteSeat(seat_request(), timeout=TIMEOUT_S)
    assert response.resolved_model and response.attempts == 1
    (sent,) = chat_requests(sim)
    # Each library names itself in its User-Agent: proof the setting picked it.
    assert http_client in sent.headers["user-agent"].lower()
