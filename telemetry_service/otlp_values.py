"""Pure conversions of OTLP AnyValue / KeyValue lists to Python and to map strings."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from typing import Any

from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue


class AttributeTypeError(ValueError):
    """A known attribute carries a value of the wrong type."""


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


def to_map_string(value: AnyValue) -> str:
    """The value as the OTel Collector's ClickHouse exporter renders map values."""
    kind = value.WhichOneof("value")
    if kind == "string_value":
        return value.string_value
    if kind == "int_value":
        return str(value.int_value)
    if kind == "bool_value":
        return "true" if value.bool_value else "false"
    if kind == "double_value":
        return repr(value.double_value)
    if kind == "bytes_value":
        return base64.b64encode(value.bytes_value).decode("ascii")
    if kind is None:
        return ""
    return json.dumps(to_python(value), separators=(",", ":"), default=_json_default)


def to_string_map(attributes: Iterable[KeyValue]) -> dict[str, str]:
    return {kv.key: to_map_string(kv.value) for kv in attributes}


def to_value_map(attributes: Iterable[KeyValue]) -> dict[str, AnyValue]:
    return {kv.key: kv.value for kv in attributes}


def attribute_maps(attributes: Iterable[KeyValue]) -> tuple[dict[str, AnyValue], dict[str, str]]:
    """Both maps in one pass: reading a protobuf field costs about a microsecond, and a span
    has dozens of them, so each attribute is read only once."""
    values: dict[str, AnyValue] = {}
    strings: dict[str, str] = {}
    for kv in attributes:
        key = kv.key
        value = kv.value
        values[key] = value
        strings[key] = to_map_string(value)
    return values, strings


def as_str(attrs: dict[str, AnyValue], key: str) -> str:
    """A string attribute; numbers and bools are rendered, lists are a type error."""
    value = attrs.get(key)
    if value is None:
        return ""
    kind = value.WhichOneof("value")
    if kind in ("array_value", "kvlist_value", "bytes_value"):
        raise AttributeTypeError(f"{key} must be a string, got {kind}")
    return to_map_string(value)


def as_int(attrs: dict[str, AnyValue], key: str, minimum: int, maximum: int) -> int | None:
    """An integer attribute (int, or a string of digits), range-checked; None when absent."""
    value = attrs.get(key)
    if value is None:
        return None
    kind = value.WhichOneof("value")
    if kind == "int_value":
        number = value.int_value
    elif kind == "string_value":
        try:
            number = int(value.string_value.strip())
        except ValueError:
            raise AttributeTypeError(
                f"{key} must be an integer, got string {value.string_value[:40]!r}"
            ) from None
    elif kind == "double_value" and value.double_value.is_integer():
        number = int(value.double_value)
    else:
        raise AttributeTypeError(f"{key} must be an integer, got {kind}")
    if not minimum <= number <= maximum:
        raise AttributeTypeError(f"{key} must be in {minimum}..{maximum}, got {number}")
    return number


def as_float(attrs: dict[str, AnyValue], key: str) -> float | None:
    """A double attribute (double, int, or a numeric string); None when absent."""
    value = attrs.get(key)
    if value is None:
        return None
    kind = value.WhichOneof("value")
    if kind == "double_value":
        number = value.double_value
    elif kind == "int_value":
        number = float(value.int_value)
    elif kind == "string_value":
        try:
            number = float(value.string_value.strip())
        except ValueError:
            raise AttributeTypeError(
                f"{key} must be a number, got string {value.string_value[:40]!r}"
            ) from None
    else:
        raise AttributeTypeError(f"{key} must be a number, got {kind}")
    if number != number or number in (float("inf"), float("-inf")):
        raise AttributeTypeError(f"{key} must be a finite number")
    return number


def as_bool(attrs: dict[str, AnyValue], key: str) -> bool:
    """A boolean attribute (bool, or the strings true/false); False when absent."""
    value = attrs.get(key)
    if value is None:
        return False
    kind = value.WhichOneof("value")
    if kind == "bool_value":
        return value.bool_value
    if kind == "string_value" and value.string_value.lower() in ("true", "false"):
        return value.string_value.lower() == "true"
    raise AttributeTypeError(f"{key} must be a bool, got {kind}")


def as_str_list(attrs: dict[str, AnyValue], key: str) -> list[str]:
    """A string-array attribute; a single string counts as a one-element list."""
    value = attrs.get(key)
    if value is None:
        return []
    kind = value.WhichOneof("value")
    if kind == "array_value":
        items = []
        for item in value.array_value.values:
            if item.WhichOneof("value") != "string_value":
                raise AttributeTypeError(f"{key} must be an array of strings")
            items.append(item.string_value)
        return items
    if kind == "string_value":
        return [value.string_value] if value.string_value else []
    raise AttributeTypeError(f"{key} must be an array of strings, got {kind}")
