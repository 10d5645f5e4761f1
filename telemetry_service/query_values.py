"""Pure conversion of result values to google.protobuf.Value (rules in the proto)."""

from __future__ import annotations

import datetime
import math
from typing import Any

from google.protobuf import struct_pb2

# Integers beyond 2^53 lose precision as a double, so they travel as strings.
MAX_SAFE_INTEGER = 2**53


def to_value(value: Any) -> struct_pb2.Value:
    out = struct_pb2.Value()
    if value is None:
        out.null_value = struct_pb2.NULL_VALUE
    elif isinstance(value, bool):
        out.bool_value = value
    elif isinstance(value, int):
        if abs(value) <= MAX_SAFE_INTEGER:
            out.number_value = value
        else:
            out.string_value = str(value)
    elif isinstance(value, float):
        if math.isfinite(value):
            out.number_value = value
        else:
            out.string_value = str(value)
    elif isinstance(value, str):
        out.string_value = value
    elif isinstance(value, bytes):
        out.string_value = value.decode("utf-8", errors="replace")
    elif isinstance(value, datetime.datetime | datetime.date | datetime.time):
        out.string_value = value.isoformat()
    elif isinstance(value, list | tuple):
        out.list_value.values.extend(to_value(item) for item in value)
    elif isinstance(value, dict):
        for key, item in value.items():
            out.struct_value.fields[str(key)].CopyFrom(to_value(item))
    else:
        # Decimal, UUID, IP addresses: their text form keeps full precision.
        out.string_value = str(value)
    return out


def from_value(value: struct_pb2.Value, integer: bool = False) -> Any:
    """The Python value of a Value (for the CLI's output); `integer` for integer columns."""
    kind = value.WhichOneof("kind")
    if kind == "null_value" or kind is None:
        return None
    if kind == "number_value":
        number = value.number_value
        return int(number) if integer and number.is_integer() else number
    if kind == "list_value":
        return [from_value(v) for v in value.list_value.values]
    if kind == "struct_value":
        return {k: from_value(v) for k, v in value.struct_value.fields.items()}
    return getattr(value, kind)
