"""RouterService: validate -> build -> send -> map, one span per call.

No HTTP or JSON here: the OpenRouter client sends, the pure modules build and map,
`errors.to_grpc_status` translates failures. Every call also ends in one access-log
line and (seat calls) one set of metric points, and hands its trace id back to the
caller as `x-request-id` metadata.
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
from router_service.access_log import (
    ACCESS_LOGGER,
    LOG_FIELDS_ATTR,
    CallOutcome,
    correlation_fields,
    log_call,
    span_ids,
)
from router_service.errors import (
    REQUEST_ID_KEY,
    DeadlineExceededError,
    InternalError,
    RouterError,
    UpstreamError,
    error_type,
    to_grpc_status,
)
from router_service.metrics import RouterMetrics
from router_service.openrouter_client import CallState, Deadline, OpenRouterClient
from router_service.request_builder import SeatCall, build_seat_call
from router_service.response_mapper import BAND_ENUM, Completion, duration, to_route_response
from router_service.tiers import TIER_NAMES, TierTable, band_for
from router_service.validation import (
    validate_review_request,
    validate_route_request,
    validate_stream_request,
)

log = logging.getLogger(__name__)
access_log = logging.getLogger(ACCESS_LOGGER)


@dataclass(frozen=True)
class ServicerOptions:
    max_message_chars: int
    capture_content: bool
    # Upstream host and port, recorded as server.address / server.port.
    upstream_host: str
    upstream_port: int


def trace_id_hex(span: trace_api.Span) -> str:
    return span_ids(span)[0]


def _request_id(outcome: CallOutcome) -> tuple[tuple[str, str], ...]:
    return ((REQUEST_ID_KEY, outcome.trace_id),) if outcome.trace_id else ()


async def _send_request_id(context: grpc.aio.ServicerContext, outcome: CallOutcome) -> None:
    """Initial metadata `x-request-id` (the trace id), when tracing gives one."""
    if outcome.trace_id:
        await context.send_initial_metadata(_request_id(outcome))


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
        metrics: RouterMetrics,
        options: ServicerOptions,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._tiers = tiers
        self._client = client
        self._tracer = tracer
        self._metrics = metrics
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

    def _begin(
        self, method: str, request: pb.RouteSeatRequest, span: trace_api.Span
    ) -> CallOutcome:
        outcome = CallOutcome(
            method=method,
            requested_model=request.model[: sa.MAX_RECORDED_CHARS],
            tier=TIER_NAMES.get(request.tier, ""),
        )
        outcome.set_ids(span)
        return outcome

    def _finish(self, outcome: CallOutcome, started: float, *, seat_call: bool = True) -> None:
        """Log (and measure) the call once; before an abort, so it precedes the status."""
        if outcome.finished:
            return
        outcome.finished = True
        outcome.latency_s = self._clock() - started
        log_call(access_log, outcome)
        if seat_call:
            self._metrics.record_call(outcome)

    def _prepare(
        self,
        request: pb.RouteSeatRequest,
        span: trace_api.Span,
        outcome: CallOutcome,
        *,
        stream: bool,
    ) -> SeatCall:
        call = build_seat_call(request, self._tiers, stream=stream)
        outcome.requested_model, outcome.validated = call.requested_model, True
        if call.pareto.applied:
            outcome.band = call.pareto.band or "high"
        span.update_name(sa.span_name(call.requested_model))
        span.set_attributes(sa.call_attributes(call))
        if self._options.capture_content:
            span.set_attribute(sa.GEN_AI_INPUT_MESSAGES, sa.input_messages_json(request.messages))
        return call

    def _record_success(
        self,
        span: trace_api.Span,
        completion: Completion,
        call: SeatCall,
        state: CallState,
        outcome: CallOutcome,
    ) -> None:
        outcome.code = grpc.StatusCode.OK
        outcome.resolved_model = completion.resolved_model
        outcome.attempts = state.attempts
        outcome.input_tokens = completion.usage.input_tokens
        outcome.output_tokens = completion.usage.output_tokens
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
    def _record_error(
        span: trace_api.Span, error: BaseException, attempts: int, outcome: CallOutcome
    ) -> None:
        kind = error_type(error)
        outcome.reason, outcome.attempts = kind, attempts
        outcome.code = error.code if isinstance(error, RouterError) else grpc.StatusCode.CANCELLED
        span.set_attribute(sa.ERROR_TYPE, kind)
        span.set_attribute(sa.COUNCIL_ATTEMPTS, attempts)
        span.set_status(Status(StatusCode.ERROR, kind))
        if isinstance(error, InternalError):
            return  # logged with its stack where it was caught
        extra = {LOG_FIELDS_ATTR: correlation_fields(outcome.trace_id, outcome.span_id)}
        if isinstance(error, UpstreamError):
            log.warning("seat call failed: %s (%s)", kind, error.message, extra=extra)
        elif isinstance(error, RouterError):
            log.info("seat call rejected: %s", kind, extra=extra)
        else:
            log.info("seat call cancelled by the caller", extra=extra)

    @staticmethod
    def _internal_error(unexpected: Exception, outcome: CallOutcome) -> InternalError:
        """Log the fault with its stack and trace id; the caller gets no internals."""
        extra = {LOG_FIELDS_ATTR: correlation_fields(outcome.trace_id, outcome.span_id)}
        log.error("seat call failed inside the router", exc_info=unexpected, extra=extra)
        return InternalError("internal router error; the router log has it by x-request-id")

    async def _fail(
        self,
        context: grpc.aio.ServicerContext,
        span: trace_api.Span,
        error: RouterError,
        state: CallState,
        outcome: CallOutcome,
        started: float,
    ) -> None:
        """Record the error, then abort with its status (always raises).

        The span ends and the access line is written first: the status goes out at once.
        """
        self._note_attempts(error, state)
        self._record_error(span, error, state.attempts, outcome)
        _end(span)
        self._finish(outcome, started)
        await context.abort_with_status(to_grpc_status(error, request_id=outcome.trace_id))

    async def RouteSeat(
        self, request: pb.RouteSeatRequest, context: grpc.aio.ServicerContext
    ) -> pb.RouteSeatResponse:
        started = self._clock()
        span = self._start_span(request, streaming=False)
        state = CallState()
        outcome = self._begin("RouteSeat", request, span)
        try:
            with trace_api.use_span(
                span, end_on_exit=False, record_exception=False, set_status_on_exception=False
            ):
                await _send_request_id(context, outcome)
                validate_route_request(
                    request, self._tiers, max_chars=self._options.max_message_chars
                )
                call = self._prepare(request, span, outcome, stream=False)
                deadline = Deadline(_caller_budget(context, call.timeout_s), self._clock)
                try:
                    async with asyncio.timeout(deadline.remaining()):
                        completion = await self._client.complete(call.body, deadline, state)
                except TimeoutError:
                    raise DeadlineExceededError("the call's time budget ran out") from None
                self._record_success(span, completion, call, state, outcome)
                context.set_trailing_metadata(_request_id(outcome))
                return to_route_response(
                    completion,
                    call,
                    request,
                    attempts=state.attempts,
                    latency_s=self._clock() - started,
                    trace_id=trace_id_hex(span),
                )
        except RouterError as error:
            await self._fail(context, span, error, state, outcome, started)
            raise  # abort_with_status always raises; this keeps the type checker informed
        except Exception as unexpected:  # a router fault: INTERNAL, never grpc's UNKNOWN
            internal = self._internal_error(unexpected, outcome)
            await self._fail(context, span, internal, state, outcome, started)
            raise
        except asyncio.CancelledError as cancelled:
            self._record_error(span, cancelled, state.attempts, outcome)
            raise
        finally:
            _end(span)
            self._finish(outcome, started)

    async def StreamSeat(  # type: ignore[override]  # grpc.aio also takes context.write
        self, request: pb.StreamSeatRequest, context: grpc.aio.ServicerContext
    ) -> None:
        started = self._clock()
        span = self._start_span(request.seat, streaming=True)
        state = CallState()
        outcome = self._begin("StreamSeat", request.seat, span)
        try:
            with trace_api.use_span(
                span, end_on_exit=False, record_exception=False, set_status_on_exception=False
            ):
                # Sent before the first delta, so a streaming caller can log it at once.
                await _send_request_id(context, outcome)
                seat = validate_stream_request(
                    request, self._tiers, max_chars=self._options.max_message_chars
                )
                call = self._prepare(seat, span, outcome, stream=True)
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
                self._record_success(span, completion, call, state, outcome)
                summary = to_route_response(
                    completion,
                    call,
                    seat,
                    attempts=state.attempts,
                    latency_s=self._clock() - started,
                    ttft_s=ttft_s,
                    trace_id=trace_id_hex(span),
                )
                context.set_trailing_metadata(_request_id(outcome))
                await context.write(pb.StreamSeatResponse(summary=summary))
        except RouterError as error:
            await self._fail(context, span, error, state, outcome, started)
        except Exception as unexpected:  # a router fault: INTERNAL, never grpc's UNKNOWN
            internal = self._internal_error(unexpected, outcome)
            await self._fail(context, span, internal, state, outcome, started)
        except asyncio.CancelledError as cancelled:
            self._record_error(span, cancelled, state.attempts, outcome)
            raise
        finally:
            _end(span)
            self._finish(outcome, started)

    async def RecordSeatReview(
        self, request: pb.RecordSeatReviewRequest, context: grpc.aio.ServicerContext
    ) -> pb.RecordSeatReviewResponse:
        started = self._clock()
        outcome = CallOutcome(
            method="RecordSeatReview",
            requested_model=request.requested_model[: sa.MAX_RECORDED_CHARS],
            tier=TIER_NAMES.get(request.tier, ""),
            resolved_model=request.resolved_model[: sa.MAX_RECORDED_CHARS],
        )
        try:
            validate_review_request(request)
        except RouterError as error:
            # Nothing is recorded for an invalid review: no span, so no trace id.
            outcome.code, outcome.reason = error.code, error.reason
            self._finish(outcome, started, seat_call=False)
            await context.abort_with_status(to_grpc_status(error))
        seat = request.seat_id or request.generation_id
        attrs = sa.review_event_attributes(request)
        try:
            with self._tracer.start_as_current_span(
                f"evaluate {seat}",
                kind=SpanKind.INTERNAL,
                attributes={
                    sa.COUNCIL_SESSION_ID: request.session_id,
                    sa.COUNCIL_SEAT_ID: request.seat_id,
                },
            ) as span:
                span.add_event(sa.EVALUATION_EVENT, attributes=attrs)
                outcome.set_ids(span)
                outcome.code = grpc.StatusCode.OK
            await _send_request_id(context, outcome)
            context.set_trailing_metadata(_request_id(outcome))
            return pb.RecordSeatReviewResponse(trace_id=outcome.trace_id)
        finally:
            self._finish(outcome, started, seat_call=False)

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
