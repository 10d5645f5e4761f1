import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Tier(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TIER_UNSPECIFIED: _ClassVar[Tier]
    TIER_QUICK: _ClassVar[Tier]
    TIER_BALANCED: _ClassVar[Tier]
    TIER_HIGH: _ClassVar[Tier]
    TIER_REASONING: _ClassVar[Tier]
    TIER_FRONTIER: _ClassVar[Tier]

class ParetoBand(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PARETO_BAND_UNSPECIFIED: _ClassVar[ParetoBand]
    PARETO_BAND_LOW: _ClassVar[ParetoBand]
    PARETO_BAND_MEDIUM: _ClassVar[ParetoBand]
    PARETO_BAND_HIGH: _ClassVar[ParetoBand]

class ReasoningEffort(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REASONING_EFFORT_UNSPECIFIED: _ClassVar[ReasoningEffort]
    REASONING_EFFORT_NONE: _ClassVar[ReasoningEffort]
    REASONING_EFFORT_MINIMAL: _ClassVar[ReasoningEffort]
    REASONING_EFFORT_LOW: _ClassVar[ReasoningEffort]
    REASONING_EFFORT_MEDIUM: _ClassVar[ReasoningEffort]
    REASONING_EFFORT_HIGH: _ClassVar[ReasoningEffort]
    REASONING_EFFORT_XHIGH: _ClassVar[ReasoningEffort]
TIER_UNSPECIFIED: Tier
TIER_QUICK: Tier
TIER_BALANCED: Tier
TIER_HIGH: Tier
TIER_REASONING: Tier
TIER_FRONTIER: Tier
PARETO_BAND_UNSPECIFIED: ParetoBand
PARETO_BAND_LOW: ParetoBand
PARETO_BAND_MEDIUM: ParetoBand
PARETO_BAND_HIGH: ParetoBand
REASONING_EFFORT_UNSPECIFIED: ReasoningEffort
REASONING_EFFORT_NONE: ReasoningEffort
REASONING_EFFORT_MINIMAL: ReasoningEffort
REASONING_EFFORT_LOW: ReasoningEffort
REASONING_EFFORT_MEDIUM: ReasoningEffort
REASONING_EFFORT_HIGH: ReasoningEffort
REASONING_EFFORT_XHIGH: ReasoningEffort

class ChatMessage(_message.Message):
    __slots__ = ("role", "content", "name", "tool_call_id")
    ROLE_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    TOOL_CALL_ID_FIELD_NUMBER: _ClassVar[int]
    role: str
    content: str
    name: str
    tool_call_id: str
    def __init__(self, role: _Optional[str] = ..., content: _Optional[str] = ..., name: _Optional[str] = ..., tool_call_id: _Optional[str] = ...) -> None: ...

class ResponseFormat(_message.Message):
    __slots__ = ("type", "json_schema")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    JSON_SCHEMA_FIELD_NUMBER: _ClassVar[int]
    type: str
    json_schema: _struct_pb2.Struct
    def __init__(self, type: _Optional[str] = ..., json_schema: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class ParetoOptions(_message.Message):
    __slots__ = ("max_price", "price_source", "nitro", "disabled")
    MAX_PRICE_FIELD_NUMBER: _ClassVar[int]
    PRICE_SOURCE_FIELD_NUMBER: _ClassVar[int]
    NITRO_FIELD_NUMBER: _ClassVar[int]
    DISABLED_FIELD_NUMBER: _ClassVar[int]
    max_price: float
    price_source: str
    nitro: bool
    disabled: bool
    def __init__(self, max_price: _Optional[float] = ..., price_source: _Optional[str] = ..., nitro: _Optional[bool] = ..., disabled: _Optional[bool] = ...) -> None: ...

class RouteSeatRequest(_message.Message):
    __slots__ = ("model", "tier", "messages", "session_id", "seat_id", "pool_models", "min_coding_score", "temperature", "top_p", "max_tokens", "stop", "seed", "reasoning_effort", "response_format", "extra_body", "pareto", "user")
    MODEL_FIELD_NUMBER: _ClassVar[int]
    TIER_FIELD_NUMBER: _ClassVar[int]
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    SEAT_ID_FIELD_NUMBER: _ClassVar[int]
    POOL_MODELS_FIELD_NUMBER: _ClassVar[int]
    MIN_CODING_SCORE_FIELD_NUMBER: _ClassVar[int]
    TEMPERATURE_FIELD_NUMBER: _ClassVar[int]
    TOP_P_FIELD_NUMBER: _ClassVar[int]
    MAX_TOKENS_FIELD_NUMBER: _ClassVar[int]
    STOP_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    REASONING_EFFORT_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_FORMAT_FIELD_NUMBER: _ClassVar[int]
    EXTRA_BODY_FIELD_NUMBER: _ClassVar[int]
    PARETO_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    model: str
    tier: Tier
    messages: _containers.RepeatedCompositeFieldContainer[ChatMessage]
    session_id: str
    seat_id: str
    pool_models: _containers.RepeatedScalarFieldContainer[str]
    min_coding_score: float
    temperature: float
    top_p: float
    max_tokens: int
    stop: _containers.RepeatedScalarFieldContainer[str]
    seed: int
    reasoning_effort: ReasoningEffort
    response_format: ResponseFormat
    extra_body: _struct_pb2.Struct
    pareto: ParetoOptions
    user: str
    def __init__(self, model: _Optional[str] = ..., tier: _Optional[_Union[Tier, str]] = ..., messages: _Optional[_Iterable[_Union[ChatMessage, _Mapping]]] = ..., session_id: _Optional[str] = ..., seat_id: _Optional[str] = ..., pool_models: _Optional[_Iterable[str]] = ..., min_coding_score: _Optional[float] = ..., temperature: _Optional[float] = ..., top_p: _Optional[float] = ..., max_tokens: _Optional[int] = ..., stop: _Optional[_Iterable[str]] = ..., seed: _Optional[int] = ..., reasoning_effort: _Optional[_Union[ReasoningEffort, str]] = ..., response_format: _Optional[_Union[ResponseFormat, _Mapping]] = ..., extra_body: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., pareto: _Optional[_Union[ParetoOptions, _Mapping]] = ..., user: _Optional[str] = ...) -> None: ...

class Usage(_message.Message):
    __slots__ = ("input_tokens", "output_tokens", "reasoning_tokens", "cached_tokens", "cost_usd")
    INPUT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    REASONING_TOKENS_FIELD_NUMBER: _ClassVar[int]
    CACHED_TOKENS_FIELD_NUMBER: _ClassVar[int]
    COST_USD_FIELD_NUMBER: _ClassVar[int]
    input_tokens: int
    output_tokens: int
    reasoning_tokens: int
    cached_tokens: int
    cost_usd: float
    def __init__(self, input_tokens: _Optional[int] = ..., output_tokens: _Optional[int] = ..., reasoning_tokens: _Optional[int] = ..., cached_tokens: _Optional[int] = ..., cost_usd: _Optional[float] = ...) -> None: ...

class ParetoSelection(_message.Message):
    __slots__ = ("applied", "min_coding_score", "band", "nitro")
    APPLIED_FIELD_NUMBER: _ClassVar[int]
    MIN_CODING_SCORE_FIELD_NUMBER: _ClassVar[int]
    BAND_FIELD_NUMBER: _ClassVar[int]
    NITRO_FIELD_NUMBER: _ClassVar[int]
    applied: bool
    min_coding_score: float
    band: ParetoBand
    nitro: bool
    def __init__(self, applied: _Optional[bool] = ..., min_coding_score: _Optional[float] = ..., band: _Optional[_Union[ParetoBand, str]] = ..., nitro: _Optional[bool] = ...) -> None: ...

class RoutingEndpoint(_message.Message):
    __slots__ = ("provider", "model", "selected")
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    SELECTED_FIELD_NUMBER: _ClassVar[int]
    provider: str
    model: str
    selected: bool
    def __init__(self, provider: _Optional[str] = ..., model: _Optional[str] = ..., selected: _Optional[bool] = ...) -> None: ...

class RoutingMetadata(_message.Message):
    __slots__ = ("strategy", "attempt", "endpoints", "endpoints_total", "requested", "summary", "region", "raw")
    STRATEGY_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    ENDPOINTS_FIELD_NUMBER: _ClassVar[int]
    ENDPOINTS_TOTAL_FIELD_NUMBER: _ClassVar[int]
    REQUESTED_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    REGION_FIELD_NUMBER: _ClassVar[int]
    RAW_FIELD_NUMBER: _ClassVar[int]
    strategy: str
    attempt: int
    endpoints: _containers.RepeatedCompositeFieldContainer[RoutingEndpoint]
    endpoints_total: int
    requested: str
    summary: str
    region: str
    raw: _struct_pb2.Struct
    def __init__(self, strategy: _Optional[str] = ..., attempt: _Optional[int] = ..., endpoints: _Optional[_Iterable[_Union[RoutingEndpoint, _Mapping]]] = ..., endpoints_total: _Optional[int] = ..., requested: _Optional[str] = ..., summary: _Optional[str] = ..., region: _Optional[str] = ..., raw: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class RouteSeatResponse(_message.Message):
    __slots__ = ("content", "requested_model", "resolved_model", "provider", "generation_id", "finish_reason", "usage", "pareto", "duplicate_of_pool", "attempts", "latency", "routing", "tier", "session_id", "seat_id", "time_to_first_token", "trace_id", "native_finish_reason", "reasoning")
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    REQUESTED_MODEL_FIELD_NUMBER: _ClassVar[int]
    RESOLVED_MODEL_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    GENERATION_ID_FIELD_NUMBER: _ClassVar[int]
    FINISH_REASON_FIELD_NUMBER: _ClassVar[int]
    USAGE_FIELD_NUMBER: _ClassVar[int]
    PARETO_FIELD_NUMBER: _ClassVar[int]
    DUPLICATE_OF_POOL_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    LATENCY_FIELD_NUMBER: _ClassVar[int]
    ROUTING_FIELD_NUMBER: _ClassVar[int]
    TIER_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    SEAT_ID_FIELD_NUMBER: _ClassVar[int]
    TIME_TO_FIRST_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    NATIVE_FINISH_REASON_FIELD_NUMBER: _ClassVar[int]
    REASONING_FIELD_NUMBER: _ClassVar[int]
    content: str
    requested_model: str
    resolved_model: str
    provider: str
    generation_id: str
    finish_reason: str
    usage: Usage
    pareto: ParetoSelection
    duplicate_of_pool: bool
    attempts: int
    latency: _duration_pb2.Duration
    routing: RoutingMetadata
    tier: Tier
    session_id: str
    seat_id: str
    time_to_first_token: _duration_pb2.Duration
    trace_id: str
    native_finish_reason: str
    reasoning: str
    def __init__(self, content: _Optional[str] = ..., requested_model: _Optional[str] = ..., resolved_model: _Optional[str] = ..., provider: _Optional[str] = ..., generation_id: _Optional[str] = ..., finish_reason: _Optional[str] = ..., usage: _Optional[_Union[Usage, _Mapping]] = ..., pareto: _Optional[_Union[ParetoSelection, _Mapping]] = ..., duplicate_of_pool: _Optional[bool] = ..., attempts: _Optional[int] = ..., latency: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., routing: _Optional[_Union[RoutingMetadata, _Mapping]] = ..., tier: _Optional[_Union[Tier, str]] = ..., session_id: _Optional[str] = ..., seat_id: _Optional[str] = ..., time_to_first_token: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., trace_id: _Optional[str] = ..., native_finish_reason: _Optional[str] = ..., reasoning: _Optional[str] = ...) -> None: ...

class StreamSeatRequest(_message.Message):
    __slots__ = ("seat",)
    SEAT_FIELD_NUMBER: _ClassVar[int]
    seat: RouteSeatRequest
    def __init__(self, seat: _Optional[_Union[RouteSeatRequest, _Mapping]] = ...) -> None: ...

class StreamSeatResponse(_message.Message):
    __slots__ = ("delta", "summary", "reasoning_delta")
    DELTA_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    REASONING_DELTA_FIELD_NUMBER: _ClassVar[int]
    delta: str
    summary: RouteSeatResponse
    reasoning_delta: str
    def __init__(self, delta: _Optional[str] = ..., summary: _Optional[_Union[RouteSeatResponse, _Mapping]] = ..., reasoning_delta: _Optional[str] = ...) -> None: ...

class RecordSeatReviewRequest(_message.Message):
    __slots__ = ("session_id", "seat_id", "generation_id", "reviewer", "score", "rank", "borda_points", "tier", "resolved_model", "requested_model")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    SEAT_ID_FIELD_NUMBER: _ClassVar[int]
    GENERATION_ID_FIELD_NUMBER: _ClassVar[int]
    REVIEWER_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    RANK_FIELD_NUMBER: _ClassVar[int]
    BORDA_POINTS_FIELD_NUMBER: _ClassVar[int]
    TIER_FIELD_NUMBER: _ClassVar[int]
    RESOLVED_MODEL_FIELD_NUMBER: _ClassVar[int]
    REQUESTED_MODEL_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    seat_id: str
    generation_id: str
    reviewer: str
    score: float
    rank: int
    borda_points: float
    tier: Tier
    resolved_model: str
    requested_model: str
    def __init__(self, session_id: _Optional[str] = ..., seat_id: _Optional[str] = ..., generation_id: _Optional[str] = ..., reviewer: _Optional[str] = ..., score: _Optional[float] = ..., rank: _Optional[int] = ..., borda_points: _Optional[float] = ..., tier: _Optional[_Union[Tier, str]] = ..., resolved_model: _Optional[str] = ..., requested_model: _Optional[str] = ...) -> None: ...

class RecordSeatReviewResponse(_message.Message):
    __slots__ = ("trace_id",)
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    trace_id: str
    def __init__(self, trace_id: _Optional[str] = ...) -> None: ...

class ListTiersRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class TierConfig(_message.Message):
    __slots__ = ("tier", "name", "pool_models", "min_coding_score", "band", "timeout", "includes_pareto_seat", "wildcard_seat", "expected_cost_usd")
    TIER_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    POOL_MODELS_FIELD_NUMBER: _ClassVar[int]
    MIN_CODING_SCORE_FIELD_NUMBER: _ClassVar[int]
    BAND_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    INCLUDES_PARETO_SEAT_FIELD_NUMBER: _ClassVar[int]
    WILDCARD_SEAT_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_COST_USD_FIELD_NUMBER: _ClassVar[int]
    tier: Tier
    name: str
    pool_models: _containers.RepeatedScalarFieldContainer[str]
    min_coding_score: float
    band: ParetoBand
    timeout: _duration_pb2.Duration
    includes_pareto_seat: bool
    wildcard_seat: str
    expected_cost_usd: float
    def __init__(self, tier: _Optional[_Union[Tier, str]] = ..., name: _Optional[str] = ..., pool_models: _Optional[_Iterable[str]] = ..., min_coding_score: _Optional[float] = ..., band: _Optional[_Union[ParetoBand, str]] = ..., timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., includes_pareto_seat: _Optional[bool] = ..., wildcard_seat: _Optional[str] = ..., expected_cost_usd: _Optional[float] = ...) -> None: ...

class ListTiersResponse(_message.Message):
    __slots__ = ("tiers",)
    TIERS_FIELD_NUMBER: _ClassVar[int]
    tiers: _containers.RepeatedCompositeFieldContainer[TierConfig]
    def __init__(self, tiers: _Optional[_Iterable[_Union[TierConfig, _Mapping]]] = ...) -> None: ...
