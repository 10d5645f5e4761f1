"""OpenRouter over HTTP: retries, deadline, SSE, over a pluggable pooled HTTP client.

The client never decides a retry from message text: only the HTTP statuses in
`RETRYABLE_STATUSES` and the seam's `ConnectionFailure` (a refused, reset or closed
connection). The caller bounds the whole call (retries and back-off sleeps included)
with its deadline; the client only refuses to sleep past it. The HTTP library sits
behind `upstream_http.UpstreamHTTP` (aiohttp or httpx), so all of this is written once.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import math
import random
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any

from router_service.config import Secret
from router_service.errors import (
    DeadlineExceededError,
    RouterError,
    UpstreamBadResponseError,
    UpstreamConnectionError,
    UpstreamStreamError,
)
from router_service.response_mapper import (
    Completion,
    StreamAccumulator,
    StreamPiece,
    parse_completion,
    parse_sse_data,
    upstream_error,
)
from router_service.upstream_http import (
    ConnectionFailure,
    StreamingAnswer,
    TimeoutFailure,
    TransportFailure,
    UpstreamHTTP,
)

log = logging.getLogger(__name__)

RETRYABLE_STATUSES = frozenset({408, 429, 502, 503})
# Smallest per-attempt timeout handed to the HTTP client (seconds).
MIN_ATTEMPT_TIMEOUT_S = 0.001
REDACTED = "[REDACTED]"


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 3
    # Exponential back-off: base * 2**(attempt-1), capped, then full jitter (seconds).
    base_delay_s: float = 0.25
    max_delay_s: float = 4.0

    def backoff(self, attempt: int, unit_random: float) -> float:
        ceiling = min(self.max_delay_s, self.base_delay_s * (2 ** (attempt - 1)))
        # Jitter between half and the whole ceiling: spreads retries, still grows.
        return ceiling * (0.5 + 0.5 * unit_random)


class Deadline:
    """An absolute point on the monotonic clock; `remaining()` in seconds."""

    def __init__(self, budget_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._at = clock() + max(0.0, budget_s)

    def remaining(self) -> float:
        return max(0.0, self._at - self._clock())


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Retry-After as seconds: delta-seconds or an HTTP date; None when absent/invalid."""
    if not value:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
        seconds = when.timestamp() - (now if now is not None else time.time())
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)


def _json_or_none(raw: bytes) -> object:
    try:
        return json.loads(raw)
    except ValueError:
        return None


@dataclass
class CallState:
    """What a call did so far; read by the servicer after it ends (also after a failure)."""

    attempts: int = 0
    first_delta_at: float | None = None
    completion: Completion | None = None


def chat_completions_url(base_url: str) -> str:
    return f"{base_url.rstrip('/')}/chat/completions"


def request_headers(*, api_key: Secret, app_url: str, app_title: str) -> dict[str, str]:
    """The headers of every upstream call (built once; the HTTP client keeps them)."""
    return {
        "Authorization": f"Bearer {api_key.reveal()}",
        "Content-Type": "application/json",
        "HTTP-Referer": app_url,
        "X-OpenRouter-Title": app_title,
        "X-OpenRouter-Metadata": "enabled",
    }


def encode_body(body: Mapping[str, Any]) -> bytes:
    """The request body as JSON bytes, encoded once per call (as httpx's `json=` does)."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


async def sse_lines(chunks: AsyncIterator[bytes]) -> AsyncGenerator[str, None]:
    """Lines of an SSE body split on CRLF, LF or CR (the SSE spec), whatever the chunking.

    A line is decoded on its own: UTF-8 never puts CR or LF inside a multi-byte character.
    A last line without its end of line is still given (the caller decides if it counts).
    """
    pending = b""
    skip_lf = False  # the previous chunk ended in CR: a leading LF belongs to it
    async for chunk in chunks:
        if skip_lf:
            skip_lf = False
            if chunk.startswith(b"\n"):
                chunk = chunk[1:]
        if not chunk:
            continue
        skip_lf = chunk.endswith(b"\r")
        data = pending + chunk if pending else chunk
        if b"\r" in data:
            data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        *lines, pending = data.split(b"\n")
        for line in lines:
            yield line.decode("utf-8", "replace")
    if pending:
        yield pending.decode("utf-8", "replace")


class OpenRouterClient:
    """Executes chat completions against OpenRouter's API over `http`."""

    def __init__(
        self,
        http: UpstreamHTTP,
        *,
        api_key: Secret,
        retry: RetryPolicy,
        unit_random: Callable[[], float] = random.random,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._http = http
        self._api_key = api_key
        self._retry = retry
        self._unit_random = unit_random
        self._sleep = sleep
        self._clock = clock

    def redact(self, text: str) -> str:
        """`text` with the API key replaced (upstream errors may echo it)."""
        key = self._api_key.reveal()
        return text.replace(key, REDACTED) if key else text

    async def _wait_before_retry(
        self, error: RouterError, attempt: int, deadline: Deadline
    ) -> None:
        """Sleep before the next attempt, or raise `error` when no attempt is left in time."""
        if attempt >= self._retry.max_attempts:
            raise error
        delay = (
            error.retry_after_s
            if error.retry_after_s is not None
            else self._retry.backoff(attempt, self._unit_random())
        )
        if delay >= deadline.remaining():
            # Waiting would outlive the caller's deadline: give up now and say when to retry.
            error.retry_after_s = delay
            raise error
        log.debug(
            "upstream attempt %d failed (%s); retrying in %.3f s", attempt, error.reason, delay
        )
        await self._sleep(delay)

    @staticmethod
    def _mark(error: RouterError, attempt: int) -> RouterError:
        error.attempts = attempt
        error.metadata["attempts"] = str(attempt)
        return error

    def _error_from_response(
        self, status: int, raw: bytes, headers: Mapping[str, str]
    ) -> RouterError:
        return upstream_error(
            status,
            _json_or_none(raw),
            retry_after_s=parse_retry_after(headers.get("retry-after")),
            redact=self.redact,
        )

    @staticmethod
    def _connection_error(failure: TransportFailure) -> UpstreamConnectionError:
        return UpstreamConnectionError(
            f"cannot reach upstream ({failure.cause})",
            metadata={"exception": failure.cause},
        )

    @staticmethod
    def _deadline_error() -> DeadlineExceededError:
        return DeadlineExceededError("upstream did not answer within the time budget")

    @staticmethod
    def _timeout_s(deadline: Deadline) -> float:
        # The attempt may use the rest of the deadline; the caller also bounds the whole call.
        return max(MIN_ATTEMPT_TIMEOUT_S, deadline.remaining())

    async def complete(
        self, body: Mapping[str, Any], deadline: Deadline, state: CallState
    ) -> Completion:
        """One chat completion (non-streaming) with retries; `state.attempts` counts them."""
        payload_bytes = encode_body(body)
        attempt = 0
        while True:
            attempt += 1
            state.attempts = attempt
            retryable = False
            try:
                answer = await self._http.post(payload_bytes, self._timeout_s(deadline))
            except ConnectionFailure as failure:
                error: RouterError = self._connection_error(failure)
                retryable = True
            except TimeoutFailure:
                raise self._mark(self._deadline_error(), attempt) from None
            except TransportFailure as failure:
                raise self._mark(self._connection_error(failure), attempt) from None
            else:
                log.debug("upstream attempt %d answered HTTP %d", attempt, answer.status)
                if answer.status == 200:
                    payload = _json_or_none(answer.body)
                    if payload is None:
                        raise self._mark(
                            UpstreamBadResponseError("upstream answer is not valid JSON"), attempt
                        )
                    if (
                        isinstance(payload, dict)
                        and "error" in payload
                        and not payload.get("choices")
                    ):
                        # OpenRouter may answer 200 with an error body; its code decides.
                        body_error = upstream_error(
                            200, payload, retry_after_s=None, redact=self.redact
                        )
                        error, retryable = body_error, body_error.status in RETRYABLE_STATUSES
                    else:
                        try:
                            state.completion = parse_completion(payload)
                            return state.completion
                        except RouterError as exc:
                            raise self._mark(exc, attempt) from None
                else:
                    error = self._error_from_response(answer.status, answer.body, answer.headers)
                    retryable = answer.status in RETRYABLE_STATUSES
            self._mark(error, attempt)
            if not retryable:
                raise error
            await self._wait_before_retry(error, attempt, deadline)

    async def stream(
        self, body: Mapping[str, Any], deadline: Deadline, state: CallState
    ) -> AsyncGenerator[StreamPiece, None]:
        """Relay a streamed completion piece by piece; retries only before the first delta.

        Use inside `contextlib.aclosing` so a cancelled caller closes the upstream stream.
        After the last piece, `state.completion` holds the whole answer and usage.
        """
        payload_bytes = encode_body(body)
        attempt = 0
        while True:
            attempt += 1
            state.attempts = attempt
            accumulator = StreamAccumulator(self.redact)
            try:
                async with self._http.stream(payload_bytes, self._timeout_s(deadline)) as answer:
                    if answer.status != 200:
                        raw = await answer.read()
                        error: RouterError = self._error_from_response(
                            answer.status, raw, answer.headers
                        )
                        retryable = answer.status in RETRYABLE_STATUSES
                    else:
                        async for piece in self._relay(answer, accumulator, state):
                            yield piece
                        state.completion = accumulator.finish()
                        return
            except ConnectionFailure as failure:
                if accumulator.deltas_seen:
                    raise self._mark(
                        UpstreamStreamError(
                            f"upstream stream broke ({failure.cause})",
                            metadata={"cause": "connection", "exception": failure.cause},
                        ),
                        attempt,
                    ) from None
                error = self._connection_error(failure)
                retryable = True
            except TimeoutFailure:
                raise self._mark(self._deadline_error(), attempt) from None
            except TransportFailure as failure:
                raise self._mark(self._connection_error(failure), attempt) from None
            except RouterError as exc:
                raise self._mark(exc, attempt) from None
            self._mark(error, attempt)
            if not retryable:
                raise error
            await self._wait_before_retry(error, attempt, deadline)

    async def _relay(
        self, answer: StreamingAnswer, accumulator: StreamAccumulator, state: CallState
    ) -> AsyncIterator[StreamPiece]:
        """Parse SSE lines; skip comments (`: OPENROUTER PROCESSING`); stop at [DONE]."""
        async with (
            aclosing(answer.chunks()) as chunks,
            aclosing(sse_lines(chunks)) as lines,
        ):
            async for line in lines:
                if not line.startswith("data:"):
                    # Blank separators, `:` comments and other SSE fields carry nothing for us.
                    continue
                data = line[len("data:") :].strip()
                if data == "[DONE]":
                    return
                piece = accumulator.feed(parse_sse_data(data))
                if piece.delta or piece.reasoning_delta:
                    if state.first_delta_at is None:
                        state.first_delta_at = self._clock()
                    yield piece
        raise UpstreamStreamError(
            "upstream stream ended before [DONE]",
            metadata={"cause": "cut", "deltas_sent": str(accumulator.deltas_seen)},
        )
