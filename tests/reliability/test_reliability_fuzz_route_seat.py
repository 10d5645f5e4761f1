"""Property-based input for RouteSeat / StreamSeat against a real router process.

Whatever the request holds (random and unicode strings, NaN and infinite numbers, every enum
value and unknown numbers, oversized lists), the router answers OK, INVALID_ARGUMENT, or the
documented code of the upstream's own refusal (NOT_FOUND for a model without endpoints);
never UNKNOWN or INTERNAL, and it keeps serving.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from typing import Any, cast

import grpc
import pytest
from google.protobuf import struct_pb2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from llmcouncil.router.v1 import router_service_pb2 as pb
from llmcouncil.router.v1 import router_service_pb2_grpc as pb_grpc

from tests.reliability.reliability_procs import ProcessGroup, ServiceProcess, SimControl
from tests.reliability.reliability_rpc import (
    NAMED_MODEL,
    PARETO,
    error_details,
    identity,
    seat_request,
)

pytestmark = pytest.mark.e2e

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "150"))
ALLOWED = frozenset(
    {grpc.StatusCode.OK, grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND}
)
INT32 = st.integers(min_value=-(2**31), max_value=2**31 - 1)
ANY_FLOAT = st.floats(allow_nan=True, allow_infinity=True)


@pytest.fixture(scope="module")
def router(module_group: ProcessGroup) -> Iterator[ServiceProcess]:
    sim = module_group.sim()
    control = SimControl(sim)
    yield module_group.router(control.base_url)
    control.close()


@pytest.fixture(scope="module")
def stub(router: ServiceProcess) -> Iterator[pb_grpc.RouterServiceStub]:
    with grpc.insecure_channel(router.target) as channel:
        yield pb_grpc.RouterServiceStub(channel)


def json_values(finite: bool) -> st.SearchStrategy[Any]:
    numbers = st.floats(allow_nan=not finite, allow_infinity=not finite)
    leaves = st.none() | st.booleans() | numbers | st.text(max_size=30)
    return st.recursive(
        leaves,
        lambda children: (
            st.lists(children, max_size=3)
            | st.dictionaries(st.text(max_size=12), children, max_size=3)
        ),
        max_leaves=8,
    )


def structs(finite: bool = True) -> st.SearchStrategy[struct_pb2.Struct]:
    keys = st.sampled_from(["provider", "transforms", "model", "stream", "max_tokens", "tools"])
    fields = st.dictionaries(keys | st.text(max_size=16), json_values(finite), max_size=4)

    def build(values: dict[str, Any]) -> struct_pb2.Struct:
        struct = struct_pb2.Struct()
        struct.update(values)
        return struct

    return fields.map(build)


messages = st.builds(
    pb.ChatMessage,
    role=st.sampled_from(["system", "user", "assistant", "tool"]) | st.text(max_size=12),
    content=st.text(max_size=300),
    name=st.text(max_size=300),
    tool_call_id=st.text(max_size=40),
)
pareto_options = st.builds(
    pb.ParetoOptions,
    max_price=st.none() | ANY_FLOAT,
    price_source=st.text(max_size=80),
    nitro=st.booleans(),
    disabled=st.booleans(),
)
response_formats = st.builds(
    pb.ResponseFormat,
    type=st.sampled_from(["text", "json_object", "json_schema"]) | st.text(max_size=16),
    json_schema=st.none() | structs(),
)
models = st.sampled_from(
    [PARETO, "openrouter/pareto-code:nitro", NAMED_MODEL, "openai/gpt-5.4", "", " "]
) | st.text(max_size=300)


@st.composite
def route_requests(draw: st.DrawFn) -> pb.RouteSeatRequest:
    fields: dict[str, Any] = dict(
        model=draw(models),
        tier=draw(st.sampled_from(list(pb.Tier.values())) | INT32),
        messages=draw(st.lists(messages, max_size=5)),
        session_id=draw(st.text(max_size=300)),
        seat_id=draw(st.text(max_size=300)),
        pool_models=draw(st.lists(st.text(max_size=40), max_size=70)),
        stop=draw(st.lists(st.text(max_size=20), max_size=6)),
        reasoning_effort=draw(st.sampled_from(list(pb.ReasoningEffort.values())) | INT32),
        user=draw(st.text(max_size=300)),
    )
    request = pb.RouteSeatRequest(**fields)
    for name in ("min_coding_score", "temperature", "top_p"):
        number = draw(st.none() | ANY_FLOAT)
        if number is not None:
            setattr(request, name, number)
    max_tokens = draw(st.none() | st.integers(min_value=0, max_value=2**32 - 1))
    if max_tokens is not None:
        request.max_tokens = max_tokens
    seed = draw(st.none() | st.integers(min_value=-(2**63), max_value=2**63 - 1))
    if seed is not None:
        request.seed = seed
    for name, strategy in (
        ("response_format", response_formats),
        ("extra_body", structs()),
        ("pareto", pareto_options),
    ):
        message = draw(st.none() | strategy)
        if message is not None:
            getattr(request, name).CopyFrom(message)
    return request


def _code(call: Any) -> grpc.StatusCode:
    try:
        call()
    except grpc.RpcError as error:
        details = error_details(error)
        assert details.code in ALLOWED, (details.code, details.message, details.metadata)
        return details.code
    return grpc.StatusCode.OK


FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.mark.slow
@FUZZ
@given(request=route_requests())
def test_route_seat_answers_ok_or_invalid_argument_for_any_request(
    stub: pb_grpc.RouterServiceStub, request: pb.RouteSeatRequest
) -> None:
    _code(lambda: stub.RouteSeat(request, timeout=15.0))


@st.composite
def valid_requests(draw: st.DrawFn) -> pb.RouteSeatRequest:
    """Well-formed requests with arbitrary unicode text and in-range numbers."""
    text = st.text(min_size=1, max_size=200).filter(lambda t: t.strip() != "")
    tiers = [t for t in pb.Tier.values() if t != pb.TIER_UNSPECIFIED]
    request = pb.RouteSeatRequest(
        model=draw(st.sampled_from([PARETO, "openrouter/pareto-code:nitro", NAMED_MODEL])),
        tier=cast(Any, draw(st.sampled_from(tiers))),
        messages=[
            pb.ChatMessage(role=draw(st.sampled_from(["system", "user"])), content=draw(text))
            for _ in range(draw(st.integers(min_value=1, max_value=3)))
        ],
        session_id=draw(st.text(max_size=256)),
        seat_id=draw(st.text(max_size=256)),
        user=draw(st.text(max_size=256)),
        pool_models=draw(st.lists(st.sampled_from([NAMED_MODEL, "openai/gpt-5.4"]), max_size=3)),
    )
    score = draw(st.none() | st.floats(min_value=0.0, max_value=1.0))
    if score is not None:
        request.min_coding_score = score
    temperature = draw(st.none() | st.floats(min_value=0.0, max_value=2.0))
    if temperature is not None:
        request.temperature = temperature
    return request


@pytest.mark.slow
@settings(FUZZ, max_examples=max(10, EXAMPLES // 3))
@given(request=valid_requests())
def test_well_formed_request_with_any_unicode_and_in_range_numbers_is_ok(
    stub: pb_grpc.RouterServiceStub, request: pb.RouteSeatRequest
) -> None:
    response = stub.RouteSeat(request, timeout=15.0)
    assert response.resolved_model
    assert response.session_id == request.session_id


@pytest.mark.slow
@settings(FUZZ, max_examples=max(10, EXAMPLES // 5))
@given(request=route_requests())
def test_stream_seat_answers_ok_or_invalid_argument_for_any_request(
    stub: pb_grpc.RouterServiceStub, request: pb.RouteSeatRequest
) -> None:
    _code(lambda: list(stub.StreamSeat(pb.StreamSeatRequest(seat=request), timeout=15.0)))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        pytest.param("extra_body", {"top_k": math.nan}, id="extra-body-nan"),
        pytest.param("extra_body", {"provider": {"max_price": math.inf}}, id="extra-body-inf"),
        pytest.param(
            "json_schema", {"name": "x", "schema": {"minimum": -math.inf}}, id="schema-inf"
        ),
    ],
)
def test_non_finite_number_inside_a_struct_is_invalid_argument(
    stub: pb_grpc.RouterServiceStub, field: str, value: dict[str, Any]
) -> None:
    struct = struct_pb2.Struct()
    struct.update(value)
    request = seat_request()
    if field == "json_schema":
        request.response_format.type = "json_schema"
        request.response_format.json_schema.CopyFrom(struct)
    else:
        request.extra_body.CopyFrom(struct)
    with pytest.raises(grpc.RpcError) as caught:
        stub.RouteSeat(request, timeout=15.0)
    details = error_details(caught.value)
    assert details.code == grpc.StatusCode.INVALID_ARGUMENT
    assert details.bad_request is not None
    assert any(
        v.field.startswith(("extra_body", "response_format"))
        for v in details.bad_request.field_violations
    )


@pytest.mark.parametrize(
    ("chars", "code"),
    [
        pytest.param(1_200_000, grpc.StatusCode.INVALID_ARGUMENT, id="over-the-char-limit"),
        pytest.param(5 * 1024 * 1024, grpc.StatusCode.RESOURCE_EXHAUSTED, id="over-4-mib"),
    ],
)
def test_huge_message_is_refused_and_the_router_keeps_serving(
    stub: pb_grpc.RouterServiceStub, router: ServiceProcess, chars: int, code: grpc.StatusCode
) -> None:
    request = seat_request(messages=[pb.ChatMessage(role="user", content="é" * (chars // 2))])
    request.messages.add(role="user", content="x" * (chars - chars // 2))
    with pytest.raises(grpc.RpcError) as caught:
        stub.RouteSeat(request, timeout=30.0)
    assert error_details(caught.value).code == code
    assert router.alive
    assert stub.RouteSeat(seat_request(), timeout=15.0).resolved_model


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b"\x0a\x03\xff\xfe\xfd", id="invalid-utf8-model"),
        pytest.param(b"\x0a\xff\xff\xff\xff\x0f", id="length-beyond-the-message"),
        pytest.param(b"\xff" * 64, id="garbage"),
    ],
)
def test_undecodable_request_bytes_are_invalid_argument(
    router: ServiceProcess, stub: pb_grpc.RouterServiceStub, raw: bytes
) -> None:
    with grpc.insecure_channel(router.target) as channel:
        route = channel.unary_unary(
            "/llmcouncil.router.v1.RouterService/RouteSeat",
            request_serializer=identity,
            response_deserializer=identity,
        )
        with pytest.raises(grpc.RpcError) as caught:
            route(raw, timeout=10.0)
    assert router.alive
    assert stub.RouteSeat(seat_request(), timeout=15.0).resolved_model
    assert error_details(caught.value).code == grpc.StatusCode.INVALID_ARGUMENT


def test_router_still_serves_after_the_fuzzing(
    stub: pb_grpc.RouterServiceStub, router: ServiceProcess
) -> None:
    assert router.alive
    assert stub.RouteSeat(seat_request(), timeout=15.0).resolved_model
