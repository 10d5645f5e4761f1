"""OpenRouterClient over each HTTP library, against real HTTP servers on 127.0.0.1.

Every retry, deadline, Retry-After, connection-error, streaming and redaction rule runs
once per library (`ROUTER_HTTP_CLIENT`): the simulator for everything it can produce, a
small aiohttp.web server for the one shape it cannot (a 200 whose body is an error).
"""

from __future__ import annotations

import os
import socket
import ssl
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import aclosing
from pathlib import Path
from typing import Any

import grpc
import pytest
from aiohttp import web

from openrouter_sim import Fault, SimServer
from router_service.config import Secret
from router_service.errors import (
    DeadlineExceededError,
    UpstreamBadResponseError,
    UpstreamConnectionError,
    UpstreamHTTPError,
    UpstreamStreamError,
)
from router_service.openrouter_client import (
    REDACTED,
    CallState,
    Deadline,
    OpenRouterClient,
    RetryPolicy,
    chat_completions_url,
    request_headers,
    sse_lines,
)
from router_service.response_mapper import StreamPiece
from router_service.upstream_http import (
    HTTP_CLIENTS,
    UpstreamHTTP,
    create_upstream_http,
    environment_proxy,
)
from tests.router_service.router_helpers import API_KEY, PARETO, chat_requests
from tests.tls_support import self_signed_cert

BODY: dict[str, Any] = {
    "model": PARETO,
    "messages": [{"role": "user", "content": "hi"}],
    "plugins": [{"id": "pareto-router", "min_coding_score": 0.5}],
}
STREAM_BODY: dict[str, Any] = {**BODY, "stream": True}
OK_BODY: dict[str, object] = {
    "id": "gen-1",
    "model": "qwen/qwen3-coder",
    "choices": [{"message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}],
}


# `make_client(base_url, environ=None)` -> an OpenRouterClient over the test's library.
MakeClient = Callable[..., OpenRouterClient]


class Sleeps:
    """Records back-off sleeps instead of waiting (seconds)."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


@pytest.fixture(params=HTTP_CLIENTS)
def http_client(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
async def make_client(http_client: str, sleeps: Sleeps) -> AsyncIterator[MakeClient]:
    """`make_client(base_url, environ=...)` -> an OpenRouterClient (closed at teardown)."""
    opened: list[UpstreamHTTP] = []

    def make(base_url: str, environ: Mapping[str, str] | None = None) -> OpenRouterClient:
        http = create_upstream_http(
            http_client,
            url=chat_completions_url(base_url),
            headers=request_headers(
                api_key=Secret(API_KEY), app_url="https://example.org", app_title="t"
            ),
            max_connections=8,
            environ={} if environ is None else environ,
        )
        opened.append(http)
        return OpenRouterClient(
            http,
            api_key=Secret(API_KEY),
            retry=RetryPolicy(max_attempts=3),
            unit_random=lambda: 1.0,
            sleep=sleeps,
        )

    yield make
    for http in opened:
        await http.aclose()


@pytest.fixture
async def client(make_client: MakeClient, sim: SimServer) -> OpenRouterClient:
    return make_client(sim.base_url)


async def collect(client: OpenRouterClient, state: CallState, budget_s: float = 10.0) -> str:
    pieces: list[StreamPiece] = []
    async with aclosing(client.stream(STREAM_BODY, Deadline(budget_s), state)) as stream:
        async for piece in stream:
            pieces.append(piece)
    return "".join(p.delta for p in pieces)


async def test_completion_sends_the_body_and_fixed_headers(
    client: OpenRouterClient, sim: SimServer
) -> None:
    state = CallState()
    completion = await client.complete(BODY, Deadline(10.0), state)
    assert completion.content and state.attempts == 1 and state.completion is completion
    (sent,) = chat_requests(sim)
    assert sent.body == BODY
    assert sent.headers["authorization"] == f"Bearer {API_KEY}"
    assert sent.headers["content-type"] == "application/json"
    assert sent.headers["http-referer"] == "https://example.org"
    assert sent.headers["x-openrouter-title"] == "t"
    assert "gzip" in sent.headers["accept-encoding"]  # answers are decompressed for us


@pytest.mark.parametrize("status", [408, 429, 502, 503])
async def test_retryable_status_is_retried_with_growing_backoff(
    client: OpenRouterClient, sim: SimServer, sleeps: Sleeps, status: int
) -> None:
    sim.inject(Fault(kind="http_error", status=status, count=-1))
    state = CallState()
    with pytest.raises(UpstreamHTTPError) as caught:
        await client.complete(BODY, Deadline(10.0), state)
    assert caught.value.attempts == state.attempts == 3
    assert caught.value.metadata["attempts"] == "3"
    assert sleeps.delays == [0.25, 0.5]
    assert len(chat_requests(sim)) == 3


@pytest.mark.parametrize("status", [400, 401, 402, 403, 404, 500])
async def test_other_status_is_not_retried(
    client: OpenRouterClient, sim: SimServer, status: int
) -> None:
    sim.inject(Fault(kind="http_error", status=status, count=-1))
    with pytest.raises(UpstreamHTTPError) as caught:
        await client.complete(BODY, Deadline(10.0), CallState())
    assert caught.value.status == status and caught.value.attempts == 1
    assert len(chat_requests(sim)) == 1


async def test_retry_after_replaces_the_backoff(
    client: OpenRouterClient, sim: SimServer, sleeps: Sleeps
) -> None:
    sim.inject(Fault(kind="http_error", status=429, retry_after_s=2.0, count=1))
    state = CallState()
    assert (await client.complete(BODY, Deadline(10.0), state)).content
    assert sleeps.delays == [2.0] and state.attempts == 2


async def test_retry_after_beyond_the_deadline_gives_up_at_once(
    client: OpenRouterClient, sim: SimServer, sleeps: Sleeps
) -> None:
    sim.inject(Fault(kind="http_error", status=503, retry_after_s=30.0, count=-1))
    with pytest.raises(UpstreamHTTPError) as caught:
        await client.complete(BODY, Deadline(5.0), CallState())
    assert caught.value.retry_after_s == pytest.approx(30.0)
    assert sleeps.delays == [] and len(chat_requests(sim)) == 1


@pytest.mark.parametrize("kind", ["reset", "reset_mid_body"])
async def test_broken_connection_is_retried(
    client: OpenRouterClient, sim: SimServer, kind: str
) -> None:
    sim.inject(Fault(kind=kind, count=1))  # type: ignore[arg-type]
    state = CallState()
    assert (await client.complete(BODY, Deadline(10.0), state)).content
    assert state.attempts == 2


async def test_broken_connection_every_time_is_a_connection_error(
    client: OpenRouterClient, sim: SimServer
) -> None:
    sim.inject(Fault(kind="reset", count=-1))
    with pytest.raises(UpstreamConnectionError) as caught:
        await client.complete(BODY, Deadline(10.0), CallState())
    assert caught.value.attempts == 3 and caught.value.metadata["exception"]


async def test_refused_connection_is_retried_then_a_connection_error(
    make_client: MakeClient, sleeps: Sleeps
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    client = make_client(f"http://127.0.0.1:{closed_port}/api/v1")
    with pytest.raises(UpstreamConnectionError) as caught:
        await client.complete(BODY, Deadline(10.0), CallState())
    assert caught.value.code == grpc.StatusCode.UNAVAILABLE
    assert caught.value.attempts == 3 and len(sleeps.delays) == 2


@pytest.mark.parametrize("kind", ["slow_headers", "slow_body"])
async def test_the_attempt_times_out_with_the_deadline(
    client: OpenRouterClient, sim: SimServer, http_client: str, kind: str
) -> None:
    if kind == "slow_body" and http_client == "httpx":
        pytest.skip("httpx bounds each read, not the whole body (the servicer bounds the call)")
    sim.inject(Fault(kind=kind, delay_s=3.0))  # type: ignore[arg-type]
    with pytest.raises(DeadlineExceededError) as caught:
        await client.complete(BODY, Deadline(0.5), CallState())
    assert caught.value.attempts == 1 and len(chat_requests(sim)) == 1


@pytest.mark.parametrize("kind", ["truncated_json", "non_json"])
async def test_unparseable_answer_is_not_retried(
    client: OpenRouterClient, sim: SimServer, kind: str
) -> None:
    sim.inject(Fault(kind=kind))  # type: ignore[arg-type]
    with pytest.raises(UpstreamBadResponseError):
        await client.complete(BODY, Deadline(10.0), CallState())
    assert len(chat_requests(sim)) == 1


async def test_api_key_echoed_by_upstream_is_redacted(
    client: OpenRouterClient, sim: SimServer
) -> None:
    sim.inject(Fault(kind="http_error", status=401, message=f"bad key {API_KEY} here"))
    with pytest.raises(UpstreamHTTPError) as caught:
        await client.complete(BODY, Deadline(10.0), CallState())
    assert API_KEY not in str(caught.value) and REDACTED in str(caught.value)
    assert API_KEY not in repr(caught.value.metadata)


async def test_stream_relays_deltas_until_done(client: OpenRouterClient, sim: SimServer) -> None:
    state = CallState()
    text = await collect(client, state)
    assert text and state.completion is not None and state.completion.content == text
    assert state.attempts == 1 and state.first_delta_at is not None
    (sent,) = chat_requests(sim)
    assert sent.body == STREAM_BODY


async def test_stream_retries_before_the_first_delta(
    client: OpenRouterClient, sim: SimServer, sleeps: Sleeps
) -> None:
    sim.inject(Fault(kind="http_error", status=429, retry_after_s=1.0, count=1))
    sim.inject(Fault(kind="reset", count=1))
    state = CallState()
    assert await collect(client, state)
    assert state.attempts == 3 and sleeps.delays == [1.0, 0.5]


@pytest.mark.parametrize(
    ("fault", "cause"),
    [
        pytest.param(Fault(kind="sse_cut"), "cut", id="cut-before-done"),
        pytest.param(Fault(kind="reset_mid_body"), "connection", id="reset-after-deltas"),
    ],
)
async def test_broken_stream_after_deltas_is_not_retried(
    client: OpenRouterClient, sim: SimServer, fault: Fault, cause: str
) -> None:
    sim.inject(fault)
    with pytest.raises(UpstreamStreamError) as caught:
        await collect(client, CallState())
    assert caught.value.metadata["cause"] == cause and caught.value.attempts == 1
    assert len(chat_requests(sim)) == 1


async def test_stream_error_chunk_is_redacted(client: OpenRouterClient, sim: SimServer) -> None:
    sim.inject(Fault(kind="stream_error", message=f"provider said {API_KEY}"))
    with pytest.raises(UpstreamStreamError) as caught:
        await collect(client, CallState())
    assert API_KEY not in str(caught.value) and REDACTED in str(caught.value)


async def test_stream_times_out_with_the_deadline(client: OpenRouterClient, sim: SimServer) -> None:
    sim.inject(Fault(kind="slow_headers", delay_s=3.0))
    with pytest.raises(DeadlineExceededError):
        await collect(client, CallState(), budget_s=0.5)


async def test_proxy_from_the_environment_is_used(
    make_client: MakeClient, sim: SimServer, http_client: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The simulator answers absolute-form targets, so it can stand in for a forward proxy.
    for name in ("NO_PROXY", "no_proxy", "http_proxy", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", sim.url)
    client = make_client("http://openrouter.invalid/api/v1", environ=os.environ)
    assert (await client.complete(BODY, Deadline(10.0), CallState())).content
    (sent,) = chat_requests(sim)
    assert sent.path == "http://openrouter.invalid/api/v1/chat/completions"


@pytest.fixture
async def error_body_server() -> AsyncIterator[tuple[str, list[dict[str, object]]]]:
    """A loopback server answering 200 with the queued bodies, one per request."""
    answers: list[dict[str, object]] = []

    async def chat(request: web.Request) -> web.Response:
        await request.read()
        return web.json_response(answers.pop(0))

    app = web.Application()
    app.router.add_post("/api/v1/chat/completions", chat)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}/api/v1", answers
    await runner.cleanup()


async def test_error_body_with_retryable_code_is_retried(
    make_client: MakeClient, error_body_server: tuple[str, list[dict[str, object]]]
) -> None:
    base_url, answers = error_body_server
    answers.extend([{"error": {"code": 502, "message": "down"}}, OK_BODY])
    state = CallState()
    completion = await make_client(base_url).complete({"model": "m"}, Deadline(10.0), state)
    assert completion.content == "ok" and state.attempts == 2 and answers == []


async def test_error_body_with_client_error_code_is_not_retried(
    make_client: MakeClient, error_body_server: tuple[str, list[dict[str, object]]]
) -> None:
    base_url, answers = error_body_server
    answers.extend([{"error": {"code": 400, "message": "bad"}}, OK_BODY])
    with pytest.raises(UpstreamHTTPError) as caught:
        await make_client(base_url).complete({"model": "m"}, Deadline(10.0), CallState())
    assert caught.value.code == grpc.StatusCode.INVALID_ARGUMENT
    assert len(answers) == 1


@pytest.fixture
async def tls_server(tmp_path: Path) -> AsyncIterator[tuple[str, Path]]:
    """An HTTPS loopback server with a self-signed certificate: (base URL, cert file)."""
    cert, key = self_signed_cert(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)

    async def chat(request: web.Request) -> web.Response:
        await request.read()
        return web.json_response(OK_BODY)

    app = web.Application()
    app.router.add_post("/api/v1/chat/completions", chat)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context)
    await site.start()
    yield f"https://127.0.0.1:{runner.addresses[0][1]}/api/v1", cert
    await runner.cleanup()


async def test_https_upstream_certificate_is_verified(
    make_client: MakeClient, tls_server: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    base_url, cert = tls_server
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    with pytest.raises(UpstreamConnectionError):
        await make_client(base_url).complete({"model": "m"}, Deadline(10.0), CallState())
    # Trusted through SSL_CERT_FILE, as httpx trusts it.
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    completion = await make_client(base_url).complete({"model": "m"}, Deadline(10.0), CallState())
    assert completion.content == "ok"


async def _chunks(parts: list[bytes]) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


@pytest.mark.parametrize(
    "parts",
    [
        pytest.param([b"data: a\n\ndata: b\n\n"], id="one-chunk"),
        pytest.param([b"da", b"ta: a\n", b"\nda", b"ta: b\n\n"], id="split-lines"),
        pytest.param([b"data: a\r", b"\n\r\ndata: b\r\n\r\n"], id="crlf-split"),
        pytest.param([b"data: a\r\rdata: b\r\r"], id="cr-only"),
        pytest.param([b"data: a\n\ndata: b"], id="last-line-unterminated"),
    ],
)
async def test_sse_lines_split_on_any_line_end(parts: list[bytes]) -> None:
    lines = [line async for line in sse_lines(_chunks(parts))]
    assert [line for line in lines if line] == ["data: a", "data: b"]
    assert lines[:2] == ["data: a", ""]


async def test_sse_lines_skip_only_the_lf_of_a_crlf_split_across_chunks() -> None:
    # "\r" + "\n" is one line end; the next lone "\n" is a blank line of its own.
    lines = [line async for line in sse_lines(_chunks([b"data: a\r", b"\n", b"\n", b"data: b\n"]))]
    assert lines == ["data: a", "", "data: b"]


async def test_sse_lines_keep_multibyte_text_split_across_chunks() -> None:
    raw = "data: héllo ✓\n".encode()
    lines = [line async for line in sse_lines(_chunks([raw[:8], raw[8:13], raw[13:]]))]
    assert lines == ["data: héllo ✓"]


def _environ(**values: str) -> dict[str, str]:
    return dict(values)


@pytest.mark.parametrize(
    ("url", "environ", "proxy"),
    [
        pytest.param("https://openrouter.ai/api/v1", {}, None, id="none"),
        pytest.param(
            "https://openrouter.ai/api/v1",
            _environ(HTTPS_PROXY="proxy:3128"),
            "http://proxy:3128",
            id="https-scheme",
        ),
        pytest.param(
            "http://sim.local/api/v1",
            _environ(HTTPS_PROXY="http://p:1", ALL_PROXY="http://all:2"),
            "http://all:2",
            id="all-proxy-fallback",
        ),
        pytest.param(
            "https://openrouter.ai/api/v1",
            _environ(HTTPS_PROXY="http://upper:1", https_proxy="http://lower:2"),
            "http://lower:2",
            id="lower-case-wins",
        ),
        pytest.param(
            "https://api.openrouter.ai/v1",
            _environ(HTTPS_PROXY="http://p:1", NO_PROXY="example.com, openrouter.ai"),
            None,
            id="no-proxy-subdomain",
        ),
        pytest.param(
            "https://notopenrouter.ai/v1",
            _environ(HTTPS_PROXY="http://p:1", NO_PROXY="openrouter.ai"),
            "http://p:1",
            id="no-proxy-not-a-suffix-match",
        ),
        pytest.param(
            "https://openrouter.ai/v1",
            _environ(HTTPS_PROXY="http://p:1", NO_PROXY=".openrouter.ai"),
            "http://p:1",
            id="dot-pattern-only-subdomains",
        ),
        pytest.param(
            "http://127.0.0.1:8080/v1",
            _environ(HTTP_PROXY="http://p:1", no_proxy="*"),
            None,
            id="no-proxy-star",
        ),
    ],
)
def test_environment_proxy_reads_like_httpx(
    url: str, environ: dict[str, str], proxy: str | None
) -> None:
    assert environment_proxy(url, environ) == proxy


def test_unknown_http_client_is_refused() -> None:
    with pytest.raises(ValueError, match="requests"):
        create_upstream_http("requests", url="http://x/", headers={}, max_connections=1, environ={})
