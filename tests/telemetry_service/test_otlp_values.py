"""otlp_values: one-pass attribute conversion, map-string rendering and typed accessors."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from opentelemetry.proto.common.v1.common_pb2 import (
    AnyValue,
    ArrayValue,
    KeyValue,
    KeyValueList,
)

from telemetry_service.otlp_values import (
    AttributeTypeError,
    as_bool,
    as_float,
    as_int,
    as_str,
    as_str_list,
    attribute_values,
    kind_name,
    render,
    render_array,
    to_map_string,
    to_python,
)


def kvlist(**items: AnyValue) -> AnyValue:
    return AnyValue(
        kvlist_value=KeyValueList(values=[KeyValue(key=k, value=v) for k, v in items.items()])
    )


def array(*items: AnyValue) -> AnyValue:
    return AnyValue(array_value=ArrayValue(values=list(items)))


@pytest.mark.parametrize(
    ("value", "python", "text"),
    [
        pytest.param(AnyValue(string_value="chat"), "chat", "chat", id="string"),
        pytest.param(AnyValue(int_value=-7), -7, "-7", id="int"),
        pytest.param(AnyValue(bool_value=True), True, "true", id="bool"),
        pytest.param(AnyValue(double_value=0.25), 0.25, "0.25", id="double"),
        pytest.param(AnyValue(bytes_value=b"\x01\x02"), b"\x01\x02", "AQI=", id="bytes-base64"),
        pytest.param(AnyValue(), None, "", id="unset"),
        pytest.param(
            array(AnyValue(string_value="a"), AnyValue(string_value='b"é')),
            ["a", 'b"é'],
            '["a","b\\"\\u00e9"]',
            id="string-array-json",
        ),
        pytest.param(
            array(AnyValue(int_value=1), AnyValue(string_value="x"), AnyValue()),
            [1, "x", None],
            '[1,"x",null]',
            id="mixed-array-json",
        ),
        pytest.param(
            kvlist(a=AnyValue(bool_value=False), b=array(AnyValue(bytes_value=b"\xff"))),
            {"a": False, "b": [b"\xff"]},
            '{"a":false,"b":["/w=="]}',
            id="kvlist-json-bytes-base64",
        ),
    ],
)
def test_attribute_values_gives_python_value_and_collector_map_string(
    value: AnyValue, python: Any, text: str
) -> None:
    values, strings = attribute_values([KeyValue(key="k", value=value)])
    assert values == {"k": python}
    assert strings == {"k": text}
    assert (to_python(value), to_map_string(value)) == (python, text)


scalar_values = st.one_of(
    st.builds(lambda s: AnyValue(string_value=s), st.text(max_size=8)),
    st.builds(lambda i: AnyValue(int_value=i), st.integers(-(2**63), 2**63 - 1)),
    st.builds(lambda b: AnyValue(bool_value=b), st.booleans()),
    st.builds(lambda d: AnyValue(double_value=d), st.floats(allow_nan=False)),
    st.builds(lambda b: AnyValue(bytes_value=b), st.binary(max_size=4)),
    st.just(AnyValue()),
)
any_values = st.recursive(
    scalar_values,
    lambda inner: st.one_of(
        st.builds(lambda items: array(*items), st.lists(inner, max_size=3)),
        st.builds(
            lambda items: kvlist(**items),
            st.dictionaries(st.sampled_from(["a", "b", "c"]), inner, max_size=3),
        ),
    ),
    max_leaves=6,
)


@given(st.lists(st.tuples(st.sampled_from(["x", "y", "z"]), any_values), max_size=6))
def test_one_pass_conversion_matches_the_general_conversion(
    pairs: list[tuple[str, AnyValue]],
) -> None:
    attributes = [KeyValue(key=k, value=v) for k, v in pairs]
    values, strings = attribute_values(attributes)
    # Later duplicates of a key win, as in a dict built from the list.
    assert values == {kv.key: to_python(kv.value) for kv in attributes}
    assert strings == {kv.key: render(to_python(kv.value)) for kv in attributes}


@pytest.mark.parametrize(
    "items",
    [
        pytest.param([], id="empty"),
        pytest.param(["a", "", "é\n\x00"], id="strings-escaped"),
        pytest.param(["a", 1, None, 2.5], id="mixed"),
    ],
)
def test_render_array_writes_what_the_json_encoder_writes(items: list[Any]) -> None:
    assert render_array(items) == json.dumps(items, separators=(",", ":"))


@pytest.mark.parametrize(
    ("value", "name"),
    [
        pytest.param("s", "string_value", id="str"),
        pytest.param(True, "bool_value", id="bool-not-int"),
        pytest.param(3, "int_value", id="int"),
        pytest.param(1.5, "double_value", id="float"),
        pytest.param(b"", "bytes_value", id="bytes"),
        pytest.param([], "array_value", id="list"),
        pytest.param({}, "kvlist_value", id="dict"),
        pytest.param(None, None, id="unset"),
    ],
)
def test_kind_name_names_the_anyvalue_field(value: Any, name: str | None) -> None:
    assert kind_name(value) == name


@pytest.mark.parametrize(
    ("call", "message"),
    [
        pytest.param(lambda a: as_int(a, "flag", 0, 9), "flag must be an integer, got bool_value"),
        pytest.param(lambda a: as_int(a, "unset", 0, 9), "unset must be an integer, got None"),
        pytest.param(
            lambda a: as_float(
                a,
                "flag",
            ),
            "flag must be a number, got bool_value",
        ),
        pytest.param(lambda a: as_str(a, "list"), "list must be a string, got array_value"),
        pytest.param(lambda a: as_bool(a, "unset"), "unset must be a bool, got None"),
        pytest.param(lambda a: as_str_list(a, "mixed"), "mixed must be an array of strings"),
        pytest.param(lambda a: as_int(a, "big", 0, 9), "big must be in 0..9, got 10"),
    ],
)
def test_typed_accessors_name_the_attribute_and_the_wrong_kind(call: Any, message: str) -> None:
    values, _ = attribute_values(
        [
            KeyValue(key="flag", value=AnyValue(bool_value=True)),
            KeyValue(key="unset", value=AnyValue()),
            KeyValue(key="list", value=array(AnyValue(string_value="a"))),
            KeyValue(key="mixed", value=array(AnyValue(string_value="a"), AnyValue(int_value=1))),
            KeyValue(key="big", value=AnyValue(string_value=" 10 ")),
        ]
    )
    with pytest.raises(AttributeTypeError, match=f"^{message}$"):
        call(values)


def test_absent_attributes_read_as_empty_defaults() -> None:
    assert (as_str({}, "k"), as_int({}, "k", 0, 1), as_float({}, "k")) == ("", None, None)
    assert (as_bool({}, "k"), as_str_list({}, "k")) == (False, [])


def test_unset_value_reads_as_empty_string_for_as_str() -> None:
    values, _ = attribute_values([KeyValue(key="k", value=AnyValue())])
    assert as_str(values, "k") == ""
