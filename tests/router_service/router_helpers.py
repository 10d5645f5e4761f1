"""Shared helpers for the router tests: settings, error-detail decoding, span lookup."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import grpc
from google.rpc import error_details_pb2, status_pb2
from llmcouncil.router.v1 import router_service_pb2 as pb
from llmcouncil.router.v1 import router_service_pb2_grpc as pb_grpc
from opentelemetry.sdk.trace import ReadableSpan

from router_service.config import Secret, Settings
from router_service.server import RouterServer

API_KEY = "sk-sim-router-test-7f3a9c"
PARETO = "openrouter/pareto-code"


def make_settings(base_url: str, **changes: Any) -> Settings:
    base = Settings(
        api_key=Secret(API_KEY),
        listen_host="127.0.0.1",
        listen_port=0,
        base_url=base_url,
        workers=1,
        drain_seconds=2.0,
    )
    return dataclasses.replace(base, **changes)


def seat_request(
    model: str = PARETO, tier: int = pb.TIER_BALANCED, **fields: Any
) -> pb.RouteSeatRequest:
    fields.setdefault("messages", [pb.ChatMessage(role="user", content="hi")])
    return pb.RouteSeatRequest(model=model, tier=tier, **fields)  # type: ignore[arg-type]


@dataclasses.dataclass
class Details:
    code: grpc.StatusCode
    message: str
    error_info: error_details_pb2.ErrorInfo | None
    retry_info: error_details_pb2.RetryInfo | None
    bad_request: error_details_pb2.BadRequest | None

    @property
    def fields(self) -> list[str]:
        assert self.bad_request is not None
        return [v.field for v in self.bad_request.field_violations]

    @property
    def retry_delay_s(self) -> float:
        assert self.retry_info is not None
        return self.retry_info.retry_delay.ToNanoseconds() / 1e9


def decode_error(error: grpc.aio.AioRpcError) -> Details:
    """The google.rpc details carried in the trailing metadata of a failed call."""
    raw = next(
        (v for k, v in error.trailing_metadata() or () if k == "grpc-status-details-bin"), None
    )
    info = retry = bad = None
    message = error.details() or ""
    if raw is not None:
        status = status_pb2.Status.FromString(raw)
        assert status.code == error.code().value[0]
        message = status.message
        for detail in status.details:
            if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                info = error_details_pb2.ErrorInfo()
                detail.Unpack(info)
            elif detail.Is(error_details_pb2.RetryInfo.DESCRIPTOR):
                retry = error_details_pb2.RetryInfo()
                detail.Unpack(retry)
            elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                bad = error_details_pb2.BadRequest()
                detail.Unpack(bad)
    return Details(error.code(), message, info, retry, bad)


def chat_spans(spans: Sequence[ReadableSpan]) -> list[ReadableSpan]:
    return [s for s in spans if (s.attributes or {}).get("gen_ai.operation.name") == "chat"]


def chat_requests(sim: Any) -> list[Any]:
    return [r for r in sim.requests if r.path.endswith("/chat/completions")]


class RouterHarness:
    """A started router server with a channel and stub; `restart` builds another one."""

    def __init__(
        self, server: RouterServer, port: int, channel: grpc.aio.Channel, settings: Settings
    ) -> None:
        self.settings = settings
        self.server = server
        self.port = port
        self.channel = channel
        self.stub = pb_grpc.RouterServiceStub(channel)

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"


# `await start_router(**settings_changes)` -> a started RouterHarness.
StartRouter = Callable[..., Awaitable[RouterHarness]]
