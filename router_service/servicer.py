"""RouterService: validate -> build -> send -> map, one span per call.

No HTTP or JSON here: the OpenRouter client sends, the pure modules build and map,
`errors.to_grpc_status` translates failures.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from contextlib import aclosing
from dataclasses import dataclass

import grpc
from llmcouncil.router.v1 import router_service_pb2 as pb
from llmcouncil.router.v1 import router_service_pb2_grpc as pb_grpc
from opentelemetry import trace as trace_api
from opentelemetry.trace import SpanKind, Status, StatusCode

from router_service import span_attributes as sa
from router_service.errors import (
    DeadlineExceededError,
    RouterError,
    UpstreamError,
    error_type,
    to_grpc_status,
)
from router_service.openrouter_client import CallState, Deadline, OpenRouterClient
from router_service.request_builder import SeatCall, build_seat_call
from router_service.response_mapper import BAND_ENUM, Completion, duration, to_route_response
from router_service.tiers import TierTable, band_for
from router_service.validation import (
    validate_review_request,
    validate_route_request,
    validate_stream_request,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServicerOptions:
    max_message_chars: int
    capture_content: bool
    # Upstream host and port, recorded as server.address / server.port.
    upstream_host: str
    upstream_port: int


def trace_id_hex(span: trace_api.Span) -> str:
    context = span.get_span_context()
    return format(context.trace_id, "032x") if context.is_valid else ""


def _end(span: trace_api.Span) -> None:
    """End a span once (error paths end it before aborting, `finally` covers the rest)."""
    if span.is_recording():
        span.end()


def _caller_budget(context: grpc.aio.ServicerContext, tier_timeout_s: float) -> float:
    """Seconds this call may take: the tier timeout, or the caller's deadline if nearer."""
    remaining = context.time_remaining()
    if remaining is None:
        return tier_timeout_s
    return min(tier_timeout_s, remaining)


class RouterServicer(pb_grpc.RouterServiceServicer):
    """RouteSeat, StreamSeat, RecordSeatReview and ListTiers over injected collaborators."""

    def __init__(
        self,
        *,
        tiers: TierTable,
        client: OpenRouterClient,
        tracer: trace_api.Tracer,
        options: ServicerOptions,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._tiers = tiers
        self._client = client
        self._tracer = tracer
        self._options = options
        self._clock = clock

    def _start_span(self, request: pb.RouteSeatRequest, *, streaming: bool) -> trace_api.Span:
        return self._tracer.start_span(
            sa.span_name(request.model),
            kind=SpanKind.CLIENT,
            attributes=sa.request_attributes(
                request,
                streaming=streaming,
                server_address=self._options.upstream_host,
                server_port=self._options.upstream_port,
            ),
        )

    def _prepare(
        self, request: pb.RouteSeatRequest, span: trace_api.Span, *, stream: bool
    ) -> SeatCall:
        call = build_seat_call(request, self._tiers, stream=stream)
        span.update_name(sa.span_name(call.requested_model))
        span.set_attributes(sa.call_attributes(call))
        if self._options.capture_content:
            span.set_attribute(sa.GEN_AI_INPUT_MESSAGES, sa.input_messages_json(request.messages))
        return call

    def _record_success(
        self, span: trace_api.Span, completion: Completion, call: SeatCall, state: CallState
    ) -> None:
        span.set_attributes(sa.completion_attributes(completion, call))
        span.set_attribute(sa.COUNCIL_ATTEMPTS, state.attempts)
        if self._options.capture_content:
            span.set_attribute(sa.GEN_AI_OUTPUT_MESSAGES, sa.output_messages_json(completion))

    @staticmethod
    def _note_attempts(error: RouterError, state: CallState) -> None:
        if state.attempts:
            error.attempts = max(error.attempts, state.attempts)
            error.metadata.setdefault("attempts", str(error.attempts))

    @staticmethod
    def _record_error(span: trace_api.Span, error: BaseException, attempts: int) -> None:
        kind = error_type(error)
        span.set_attribute(sa.ERROR_TYPE, kind)
        span.set_attribute(sa.COUNCIL_ATTEMPTS, attempts)
        span.set_status(Status(StatusCode.ERROR, kind))
        if isinstance(error, UpstreamError):
            log.warning("seat call failed: %s (%s)", kind, error.message)
        elif isinstance(error, RouterError):
            log.info("seat call rejected: %s", kind)
        else:
            log.info("seat call cancelled by the caller")

    async def RouteSeat(
        self, request: pb.RouteSeatRequest, context: grpc.aio.ServicerContext
    ) -> pb.RouteSeatResponse:
        started = self._clock()
        span = self._start_span(request, streaming=False)
        state = CallState()
        try:
            with trace_api.use_span(
                span, end_on_exit=False, record_exception=False, set_status_on_exception=False
            ):
                validate_route_request(
                    request, self._tiers, max_chars=self._options.max_message_chars
                )
                call = self._prepare(request, span, stream=False)
                deadline = Deadline(_caller_budget(context, call.timeout_s), self._clock)
                try:
                    async with asyncio.timeout(deadline.remaining()):
                        completion = await self._client.complete(call.body, deadline, state)
                except TimeoutError:
                    raise DeadlineExceededError("the call's time budget ran out") from None
                self._record_success(span, completion, call, state)
                return to_route_response(
                    completion,
                    call,
                    request,
                    attempts=state.attempts,
                    latency_s=self._clock() - started,
                    trace_id=trace_id_hex(span),
                )
        except RouterError as error:
            self._note_attempts(error, state)
            self._record_error(span, error, state.attempts)
            # abort_with_status sends the status at once: end the span before the caller
            # can see the error, so the span is complete whenever the caller looks.
            _end(span)
            await context.abort_with_status(to_grpc_status(error))
            raise  # abort_with_status always raises; this keeps the type checker informed
        except asyncio.CancelledError as cancelled:
            self._record_error(span, cancelled, state.attempts)
            raise
        finally:
            _end(span)

    async def StreamSeat(  # type: ignore[override]  # grpc.aio also takes context.write
        self, request: pb.StreamSeatRequest, context: grpc.aio.ServicerContext
    ) -> None:
        started = self._clock()
        span = self._start_span(request.seat, streaming=True)
        state = CallState()
        try:
            with trace_api.use_span(
                span, end_on_exit=False, record_exception=False, set_status_on_exception=False
            ):
                seat = validate_stream_request(
                    request, self._tiers, max_chars=self._options.max_message_chars
                )
                call = self._prepare(seat, span, stream=True)
                deadline = Deadline(_caller_budget(context, call.timeout_s), self._clock)
                try:
                    async with asyncio.timeout(deadline.remaining()):
                        async with aclosing(
                            self._client.stream(call.body, deadline, state)
                        ) as pieces:
                            async for piece in pieces:
                                if piece.reasoning_delta:
                                    await context.write(
                                        pb.StreamSeatResponse(reasoning_delta=piece.reasoning_delta)
                                    )
                                if piece.delta:
                                    await context.write(pb.StreamSeatResponse(delta=piece.delta))
                except TimeoutError:
                    raise DeadlineExceededError("the call's time budget ran out") from None
                completion = state.completion
                assert completion is not None  # the stream ended at [DONE]
                ttft_s = None if state.first_delta_at is None else state.first_delta_at - started
                if ttft_s is not None:
                    span.set_attribute(sa.COUNCIL_TTFT_MS, ttft_s * 1000.0)
                self._record_success(span, completion, call, state)
                summary = to_route_response(
                    completion,
                    call,
                    seat,
                    attempts=state.attempts,
                    latency_s=self._clock() - started,
                    ttft_s=ttft_s,
                    trace_id=trace_id_hex(span),
                )
                await context.write(pb.StreamSeatResponse(summary=summary))
        except RouterError as error:
            self._note_attempts(error, state)
            self._record_error(span, error, state.attempts)
            _end(span)
            await context.abort_with_status(to_grpc_status(error))
        except asyncio.CancelledError as cancelled:
            self._record_error(span, cancelled, state.attempts)
            raise
        finally:
            _end(span)

    async def RecordSeatReview(
        self, request: pb.RecordSeatReviewRequest, context: grpc.aio.ServicerContext
    ) -> pb.RecordSeatReviewResponse:
        try:
            validate_review_request(request)
        except RouterError as error:
            await context.abort_with_status(to_grpc_status(error))
        seat = request.seat_id or request.generation_id
        attrs = sa.review_event_attributes(request)
        with self._tracer.start_as_current_span(
            f"evaluate {seat}",
            kind=SpanKind.INTERNAL,
            attributes={
                sa.COUNCIL_SESSION_ID: request.session_id,
                sa.COUNCIL_SEAT_ID: request.seat_id,
            },
        ) as span:
            span.add_event(sa.EVALUATION_EVENT, attributes=attrs)
            return pb.RecordSeatReviewResponse(trace_id=trace_id_hex(span))

    async def ListTiers(
        self, request: pb.ListTiersRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListTiersResponse:
        response = pb.ListTiersResponse()
        for number, spec in self._tiers.tiers.items():
            tier = response.tiers.add(
                tier=number,
                name=spec.name,
                pool_models=self._tiers.seated_models(number),
                band=BAND_ENUM[band_for(spec.min_coding_score)],
                timeout=duration(spec.timeout_s),
                includes_pareto_seat=spec.includes_pareto_seat,
                wildcard_seat=self._tiers.wildcard_seat or "",
            )
            if spec.min_coding_score is not None:
                tier.min_coding_score = spec.min_coding_score
            if spec.expected_cost_usd is not None:
                tier.expected_cost_usd = spec.expected_cost_usd
        return response
