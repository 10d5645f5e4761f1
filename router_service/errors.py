"""The router's one error hierarchy and its single translation to gRPC status.

Every failure a caller can see is a `RouterError`. `to_grpc_status` is the only place
that turns one into a gRPC status with google.rpc details (ErrorInfo always; RetryInfo
when a retry delay is known; BadRequest for invalid fields). The table is in ERRORS.md.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import grpc
from google.protobuf import any_pb2, duration_pb2
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

ERROR_DOMAIN = "router.llmcouncil.io"
# Metadata key carrying the call's trace id (see ERRORS.md, "Correlation").
REQUEST_ID_KEY = "x-request-id"


@dataclass(frozen=True)
class FieldViolation:
    field: str
    description: str


class RouterError(Exception):
    """Base of every error the router reports to its caller."""

    code: grpc.StatusCode = grpc.StatusCode.INTERNAL
    reason: str = "INTERNAL"

    def __init__(
        self,
        message: str,
        *,
        metadata: Mapping[str, str] | None = None,
        retry_after_s: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.metadata: dict[str, str] = dict(metadata or {})
        self.retry_after_s = retry_after_s
        # Upstream HTTP attempts made before this error (0 = none).
        self.attempts = 0


class InvalidRequestError(RouterError):
    code = grpc.StatusCode.INVALID_ARGUMENT
    reason = "INVALID_REQUEST"

    def __init__(self, violations: Sequence[FieldViolation]) -> None:
        fields = ", ".join(v.field for v in violations)
        super().__init__(f"invalid request: {fields}", metadata={"fields": fields})
        self.violations = tuple(violations)


class UndecodableRequestError(RouterError):
    """The request bytes are not a valid protobuf message of the method's request type."""

    code = grpc.StatusCode.INVALID_ARGUMENT
    reason = "INVALID_REQUEST"


class InternalError(RouterError):
    """A fault in the router itself; the log line with the call's trace id has the stack."""

    code = grpc.StatusCode.INTERNAL
    reason = "INTERNAL_ERROR"


class CallerUnauthenticatedError(RouterError):
    code = grpc.StatusCode.UNAUTHENTICATED
    reason = "CALLER_UNAUTHENTICATED"


class RouterOverloadedError(RouterError):
    code = grpc.StatusCode.RESOURCE_EXHAUSTED
    reason = "ROUTER_OVERLOADED"


class DeadlineExceededError(RouterError):
    """Our own time budget (the caller's deadline or the tier timeout) ran out."""

    code = grpc.StatusCode.DEADLINE_EXCEEDED
    reason = "DEADLINE_EXCEEDED"


class UpstreamError(RouterError):
    """OpenRouter could not give an answer."""

    code = grpc.StatusCode.UNAVAILABLE
    reason = "UPSTREAM_UNAVAILABLE"


class UpstreamHTTPError(UpstreamError):
    """OpenRouter answered with an HTTP error status (or an error body)."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        metadata: Mapping[str, str] | None = None,
        retry_after_s: float | None = None,
    ) -> None:
        super().__init__(message, metadata=metadata, retry_after_s=retry_after_s)
        self.status = status
        self.code, self.reason = http_status_mapping(status)
        self.metadata.setdefault("http_status", str(status))


class UpstreamConnectionError(UpstreamError):
    reason = "UPSTREAM_CONNECTION_FAILED"


class UpstreamBadResponseError(UpstreamError):
    """An answer we cannot parse (truncated JSON, HTML, missing fields)."""

    reason = "UPSTREAM_BAD_RESPONSE"


class UpstreamStreamError(UpstreamError):
    """The SSE stream failed after it started: an error chunk, or a cut before [DONE]."""

    reason = "UPSTREAM_STREAM_ERROR"


# HTTP status -> (gRPC code, ErrorInfo reason). Anything else >= 500 is UNAVAILABLE.
_HTTP_TABLE: dict[int, tuple[grpc.StatusCode, str]] = {
    400: (grpc.StatusCode.INVALID_ARGUMENT, "UPSTREAM_BAD_REQUEST"),
    401: (grpc.StatusCode.UNAUTHENTICATED, "UPSTREAM_UNAUTHENTICATED"),
    # Out of credits is a billing problem, never a dead model.
    402: (grpc.StatusCode.FAILED_PRECONDITION, "UPSTREAM_INSUFFICIENT_CREDITS"),
    403: (grpc.StatusCode.PERMISSION_DENIED, "UPSTREAM_MODERATION"),
    404: (grpc.StatusCode.NOT_FOUND, "UPSTREAM_NO_ENDPOINTS"),
    408: (grpc.StatusCode.DEADLINE_EXCEEDED, "UPSTREAM_TIMEOUT"),
    429: (grpc.StatusCode.RESOURCE_EXHAUSTED, "UPSTREAM_RATE_LIMITED"),
    502: (grpc.StatusCode.UNAVAILABLE, "UPSTREAM_BAD_GATEWAY"),
    503: (grpc.StatusCode.UNAVAILABLE, "UPSTREAM_UNAVAILABLE"),
}


def http_status_mapping(status: int) -> tuple[grpc.StatusCode, str]:
    """The gRPC code and ErrorInfo reason for an upstream HTTP error status."""
    if status in _HTTP_TABLE:
        return _HTTP_TABLE[status]
    if status >= 500:
        return grpc.StatusCode.UNAVAILABLE, "UPSTREAM_SERVER_ERROR"
    if status >= 400:
        # Another client error (409, 413, 422, ...): the request as sent was refused.
        return grpc.StatusCode.FAILED_PRECONDITION, "UPSTREAM_HTTP_ERROR"
    # 1xx/3xx where an answer was due: a proxy or a wrong base URL, not OpenRouter.
    return grpc.StatusCode.UNAVAILABLE, "UPSTREAM_BAD_RESPONSE"


def _pack(message: object) -> any_pb2.Any:
    packed = any_pb2.Any()
    packed.Pack(message)  # type: ignore[arg-type]
    return packed


def _duration(seconds: float) -> duration_pb2.Duration:
    whole = math.floor(seconds)
    return duration_pb2.Duration(seconds=whole, nanos=round((seconds - whole) * 1e9))


def to_status_proto(error: RouterError) -> status_pb2.Status:
    """The google.rpc.Status (code, message, details) for an error."""
    details = [
        _pack(
            error_details_pb2.ErrorInfo(
                reason=error.reason, domain=ERROR_DOMAIN, metadata=error.metadata
            )
        )
    ]
    if error.retry_after_s is not None:
        details.append(
            _pack(error_details_pb2.RetryInfo(retry_delay=_duration(max(0.0, error.retry_after_s))))
        )
    if isinstance(error, InvalidRequestError):
        details.append(
            _pack(
                error_details_pb2.BadRequest(
                    field_violations=[
                        error_details_pb2.BadRequest.FieldViolation(
                            field=v.field, description=v.description
                        )
                        for v in error.violations
                    ]
                )
            )
        )
    # grpc.StatusCode values are (google.rpc.Code number, name).
    code_value = error.code.value[0]
    return status_pb2.Status(code=code_value, message=error.message, details=details)


@dataclass(frozen=True)
class _Status(grpc.Status):
    code: grpc.StatusCode
    details: str
    trailing_metadata: tuple[tuple[str, str | bytes], ...]


def to_grpc_status(error: RouterError, *, request_id: str = "") -> grpc.Status:
    """The grpc.Status to pass to `context.abort_with_status`.

    request_id (the call's trace id) rides in the trailing metadata as `x-request-id`:
    aborting replaces any trailing metadata set earlier, so it must be part of the status.
    """
    status = rpc_status.to_status(to_status_proto(error))
    if not request_id:
        return status
    return _Status(
        code=status.code,
        details=status.details,
        trailing_metadata=(*status.trailing_metadata, (REQUEST_ID_KEY, request_id)),
    )


def error_type(error: BaseException) -> str:
    """The span's `error.type`: the ErrorInfo reason, else the exception class name."""
    if isinstance(error, RouterError):
        return error.reason
    return type(error).__name__


def undecodable_request_status(method: str, error: Exception) -> grpc.Status:
    """The status for request bytes that do not parse as the method's request message."""
    return to_grpc_status(
        UndecodableRequestError(
            f"the request is not a valid protobuf message for {method}: {error}",
            metadata={"method": method},
        )
    )
