"""Pure conversions of OTLP AnyValue / KeyValue lists to Python values and to map strings.

Reading a protobuf field from Python costs about a microsecond and a GenAI span carries ~30
attributes, so a span's attributes are read exactly once (`attribute_values`) into plain
Python values; the typed accessors (`as_str`, `as_int`, ...) then work on those.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from typing import Any

from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

# An attribute that is present but whose AnyValue has no value set is stored as None;
# `_ABSENT` tells a missing key apart from it.
_ABSENT: Any = object()

# Python type of a converted value -> the AnyValue field it came from (for error messages).
_KIND_NAMES: dict[type, str] = {
    str: "string_value",
    bool: "bool_value",
    int: "int_value",
    float: "double_value",
    bytes: "bytes_value",
    list: "array_value",
    dict: "kvlist_value",
}


class AttributeTypeError(ValueError):
    """A known attribute carries a value of the wrong type."""


def kind_name(value: Any) -> str | None:
    """The AnyValue field name a converted value came from; None for an unset value."""
    return None if value is None else _KIND_NAMES[type(value)]


def to_python(value: AnyValue) -> Any:
    """The AnyValue as a plain Python value (None when unset)."""
    kind = value.WhichOneof("value")
    if kind == "string_value":
        return value.string_value
    if kind == "int_value":
        return value.int_value
    if kind == "bool_value":
        return value.bool_value
    if kind == "double_value":
        return value.double_value
    if kind == "array_value":
        return [to_python(v) for v in value.array_value.values]
    if kind == "kvlist_value":
        return {kv.key: to_python(kv.value) for kv in value.kvlist_value.values}
    if kind == "bytes_value":
        return value.bytes_value
    return None


def _json_default(obj: Any) -> Any:
    if isinstance(obj, bytes):
        return base64.b64encode(obj).decode("ascii")
    raise TypeError(type(obj).__name__)


# One stateless encoder: json.dumps with options builds a new encoder on every call.
_encode_json = json.JSONEncoder(separators=(",", ":"), default=_json_default).encode
# The encoder's own string quoting (C), as used with ensure_ascii=True.
_json_string = json.encoder.encode_basestring_ascii


def _array_items(values: Iterable[AnyValue]) -> list[Any]:
    """to_python of an array's items, strings (the common case) read directly."""
    items: list[Any] = []
    for item in values:
        if item.WhichOneof("value") == "string_value":
            items.append(item.string_value)
        else:
            items.append(to_python(item))
    return items


def render_array(items: list[Any]) -> str:
    """render() of a list; an all-string list (the common case) without the JSON encoder's
    per-call set-up, byte for byte what the encoder writes."""
    if all(type(item) is str for item in items):
        return "[" + ",".join(map(_json_string, items)) + "]"
    return _encode_json(items)


def render(value: Any) -> str:
    """A converted value as the OTel Collector's ClickHouse exporter renders map values."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if value is None:
        return ""
    return _encode_json(value)


def to_map_string(value: AnyValue) -> str:
    """The AnyValue rendered as a map value (see `render`)."""
    return render(to_python(value))


def to_string_map(attributes: Iterable[KeyValue]) -> dict[str, str]:
    return {kv.key: render(to_python(kv.value)) for kv in attributes}


def attribute_values(attributes: Iterable[KeyValue]) -> tuple[dict[str, Any], dict[str, str]]:
    """Python values and rendered map strings of the attributes, in one read of each.

    The common scalar kinds are handled inline: this loop runs ~30 times per span.
    """
    values: dict[str, Any] = {}
    strings: dict[str, str] = {}
    for kv in attributes:
        key = kv.key
        value = kv.value
        kind = value.WhichOneof("value")
        if kind == "string_value":
            values[key] = strings[key] = value.string_value
        elif kind == "int_value":
            number = values[key] = value.int_value
            strings[key] = str(number)
        elif kind == "bool_value":
            flag = values[key] = value.bool_value
            strings[key] = "true" if flag else "false"
        elif kind == "double_value":
            real = values[key] = value.double_value
            strings[key] = repr(real)
        elif kind == "array_value":
            items = values[key] = _array_items(value.array_value.values)
            strings[key] = render_array(items)
        else:
            converted = values[key] = to_python(value)
            strings[key] = render(converted)
    return values, strings


def as_str(attrs: dict[str, Any], key: str) -> str:
    """A string attribute; numbers and bools are rendered, lists are a type error."""
    value = attrs.get(key)
    if type(value) is str:
        return value
    if isinstance(value, list | dict | bytes):
        raise AttributeTypeError(f"{key} must be a string, got {kind_name(value)}")
    return render(value)


def as_int(attrs: dict[str, Any], key: str, minimum: int, maximum: int) -> int | None:
    """An integer attribute (int, or a string of digits), range-checked; None when absent."""
    value = attrs.get(key, _ABSENT)
    if value is _ABSENT:
        return None
    kind = type(value)
    if kind is int:
        number = value
    elif kind is str:
        try:
            number = int(value.strip())
        except ValueError:
            raise AttributeTypeError(
                f"{key} must be an integer, got string {value[:40]!r}"
            ) from None
    elif kind is float and value.is_integer():
        number = int(value)
    else:
        raise AttributeTypeError(f"{key} must be an integer, got {kind_name(value)}")
    if not minimum <= number <= maximum:
        raise AttributeTypeError(f"{key} must be in {minimum}..{maximum}, got {number}")
    return int(number)


def as_float(attrs: dict[str, Any], key: str) -> float | None:
    """A double attribute (double, int, or a numeric string); None when absent."""
    value = attrs.get(key, _ABSENT)
    if value is _ABSENT:
        return None
    kind = type(value)
    if kind is float:
        number = value
    elif kind is int:
        number = float(value)
    elif kind is str:
        try:
            number = float(value.strip())
        except ValueError:
            raise AttributeTypeError(f"{key} must be a number, got string {value[:40]!r}") from None
    else:
        raise AttributeTypeError(f"{key} must be a number, got {kind_name(value)}")
    if number != number or number in (float("inf"), float("-inf")):
        raise AttributeTypeError(f"{key} must be a finite number")
    return float(number)


def as_bool(attrs: dict[str, Any], key: str) -> bool:
    """A boolean attribute (bool, or the strings true/false); False when absent."""
    value = attrs.get(key, _ABSENT)
    if value is _ABSENT:
        return False
    if type(value) is bool:
        return value
    if type(value) is str and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise AttributeTypeError(f"{key} must be a bool, got {kind_name(value)}")


def as_str_list(attrs: dict[str, Any], key: str) -> list[str]:
    """A string-array attribute; a single string counts as a one-element list."""
    value = attrs.get(key, _ABSENT)
    if value is _ABSENT:
        return []
    if type(value) is list:
        if not all(type(item) is str for item in value):
            raise AttributeTypeError(f"{key} must be an array of strings")
        return list(value)
    if type(value) is str:
        return [value] if value else []
    raise AttributeTypeError(f"{key} must be an array of strings, got {kind_name(value)}")
