"""Non-finite numbers inside Struct fields are named by path (pure validation, no I/O)."""

from __future__ import annotations

import math
from typing import Any

import pytest
from google.protobuf import struct_pb2
from hypothesis import given, settings
from hypothesis import strategies as st
from llmcouncil.router.v1 import router_service_pb2 as pb

from router_service.errors import InvalidRequestError
from router_service.request_builder import struct_to_python
from router_service.tiers import load_tier_table
from router_service.validation import (
    MAX_STRUCT_VIOLATIONS,
    route_request_violations,
    struct_violations,
    validate_stream_request,
)
from tests.router_service.router_helpers import seat_request

TIERS = load_tier_table()
MAX_CHARS = 1000


def struct(value: dict[str, Any]) -> struct_pb2.Struct:
    out = struct_pb2.Struct()
    out.update(value)
    return out


def schema_request(schema: dict[str, Any], fmt_type: str = "json_schema") -> pb.RouteSeatRequest:
    request = seat_request()
    request.response_format.type = fmt_type
    request.response_format.json_schema.CopyFrom(struct(schema))
    return request


def fields_of(request: pb.RouteSeatRequest) -> list[str]:
    return [v.field for v in route_request_violations(request, TIERS, max_chars=MAX_CHARS)]


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        pytest.param(
            seat_request(extra_body=struct({"top_k": math.nan})), "extra_body.top_k", id="nan"
        ),
        pytest.param(
            seat_request(extra_body=struct({"provider": {"max_price": math.inf}})),
            "extra_body.provider.max_price",
            id="nested-inf",
        ),
        pytest.param(
            seat_request(extra_body=struct({"weights": [1.0, {"w": -math.inf}]})),
            "extra_body.weights[1].w",
            id="inf-in-a-list",
        ),
        pytest.param(
            seat_request(extra_body=struct({"grid": [[0.5, math.nan]]})),
            "extra_body.grid[0][1]",
            id="nan-in-a-nested-list",
        ),
        pytest.param(
            schema_request({"name": "x", "schema": {"properties": {"x": {"maximum": math.inf}}}}),
            "response_format.json_schema.schema.properties.x.maximum",
            id="schema-inf",
        ),
        pytest.param(
            schema_request({"name": "x", "schema": {"minimum": math.nan}}, fmt_type="text"),
            "response_format.json_schema.schema.minimum",
            id="schema-nan-even-when-unused",
        ),
    ],
)
def test_non_finite_struct_number_is_named_by_its_path(
    request_: pb.RouteSeatRequest, field: str
) -> None:
    assert fields_of(request_) == [field]


def test_stream_request_prefixes_struct_paths_with_seat() -> None:
    seat = seat_request(extra_body=struct({"top_k": math.nan}))
    with pytest.raises(InvalidRequestError) as caught:
        validate_stream_request(pb.StreamSeatRequest(seat=seat), TIERS, max_chars=MAX_CHARS)
    assert [v.field for v in caught.value.violations] == ["seat.extra_body.top_k"]


def test_finite_extremes_nulls_and_nesting_are_valid() -> None:
    body = {
        "top_k": 1.7976931348623157e308,
        "min_p": -5e-324,
        "provider": {"order": ["a", "b"], "allow_fallbacks": False, "sort": None},
        "nested": [[[], {}], [0, -0.0]],
    }
    request = schema_request({"name": "x", "schema": {"maximum": 1e300, "enum": [None, 1]}})
    request.extra_body.CopyFrom(struct(body))
    assert fields_of(request) == []


def test_violations_per_struct_are_capped() -> None:
    body = {f"k{index:02d}": math.nan for index in range(3 * MAX_STRUCT_VIOLATIONS)}
    found = struct_violations(struct(body), "extra_body")
    assert [v.field for v in found] == [
        f"extra_body.k{i:02d}" for i in range(MAX_STRUCT_VIOLATIONS)
    ]


def test_a_long_key_is_shortened_in_the_path() -> None:
    (found,) = struct_violations(struct({"k" * 10_000: math.inf}), "extra_body")
    assert found.field == f"extra_body.{'k' * 64}..."


JSON_LEAVES = (
    st.none() | st.booleans() | st.text(max_size=8) | st.floats(allow_nan=True, allow_infinity=True)
)
JSON_VALUES = st.recursive(
    JSON_LEAVES,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(body=st.dictionaries(st.text(max_size=6), JSON_VALUES, max_size=5))
def test_a_struct_without_violations_always_converts_to_json(body: dict[str, Any]) -> None:
    message = struct(body)
    if not struct_violations(message, "extra_body"):
        struct_to_python(message)  # raises ValueError on a non-finite number
    else:
        with pytest.raises(ValueError):
            struct_to_python(message)
