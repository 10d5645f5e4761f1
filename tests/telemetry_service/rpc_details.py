"""Reading google.rpc details out of a failed call."""

from __future__ import annotations

from typing import Any

import grpc
from google.rpc import status_pb2


def details_of(error: grpc.aio.AioRpcError | grpc.RpcError, *kinds: type[Any]) -> list[Any]:
    """One unpacked detail message per requested kind (AssertionError when one is missing)."""
    status = None
    for key, value in error.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            status = status_pb2.Status.FromString(value)
    assert status is not None, "no google.rpc.Status in the trailers"
    found = []
    for kind in kinds:
        for detail in status.details:
            message = kind()
            if detail.Unpack(message):
                found.append(message)
                break
        else:
            raise AssertionError(f"no {kind.__name__} in the status details")
    return found
