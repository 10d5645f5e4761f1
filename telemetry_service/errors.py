"""Rich gRPC errors: google.rpc.Status with ErrorInfo (domain + UPPER_SNAKE reason),
RetryInfo for retryable refusals and BadRequest for bad fields (AIP-193)."""

from __future__ import annotations

from collections.abc import Sequence

import grpc
from google.protobuf import any_pb2, duration_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

ERROR_DOMAIN = "telemetry.llmcouncil.io"
# opentelemetry-python's OTLP exporter reads RetryInfo from this trailer rather than from the
# status details, so retryable refusals carry it in both places.
RETRY_INFO_TRAILER = "google.rpc.retryinfo-bin"


def _pack(message: object) -> any_pb2.Any:
    packed = any_pb2.Any()
    packed.Pack(message)  # type: ignore[arg-type]
    return packed


def rich_status(
    code: grpc.StatusCode,
    reason: str,
    message: str,
    *,
    retry_after_s: float | None = None,
    field_violations: Sequence[tuple[str, str]] = (),
    metadata: dict[str, str] | None = None,
) -> grpc.Status:
    """A grpc.Status carrying ErrorInfo, plus RetryInfo / BadRequest when given."""
    details = [
        _pack(
            error_details_pb2.ErrorInfo(reason=reason, domain=ERROR_DOMAIN, metadata=metadata or {})
        )
    ]
    retry_info = None
    if retry_after_s is not None:
        delay = duration_pb2.Duration()
        delay.FromNanoseconds(int(retry_after_s * 1e9))
        retry_info = error_details_pb2.RetryInfo(retry_delay=delay)
        details.append(_pack(retry_info))
    if field_violations:
        details.append(
            _pack(
                error_details_pb2.BadRequest(
                    field_violations=[
                        error_details_pb2.BadRequest.FieldViolation(field=f, description=d)
                        for f, d in field_violations
                    ]
                )
            )
        )
    proto = status_pb2.Status(code=getattr(code_pb2, code.name), message=message, details=details)
    status = rpc_status.to_status(proto)
    if retry_info is None:
        return status
    return _Status(
        status.code,
        status.details,
        (*status.trailing_metadata, (RETRY_INFO_TRAILER, retry_info.SerializeToString())),
    )


class _Status(grpc.Status):
    """grpc.Status is an interface; this is the plain value object grpc_status also uses."""

    def __init__(
        self, code: grpc.StatusCode, details: str, trailing_metadata: tuple[tuple[str, bytes], ...]
    ) -> None:
        self.code = code
        self.details = details
        self.trailing_metadata = trailing_metadata


async def abort(
    context: grpc.aio.ServicerContext,
    code: grpc.StatusCode,
    reason: str,
    message: str,
    **kwargs: object,
) -> None:
    """Abort the RPC with a rich status (never returns)."""
    await context.abort_with_status(rich_status(code, reason, message, **kwargs))  # type: ignore[arg-type]
