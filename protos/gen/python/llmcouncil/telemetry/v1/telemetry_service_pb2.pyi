import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Confidence(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CONFIDENCE_UNSPECIFIED: _ClassVar[Confidence]
    CONFIDENCE_INSUFFICIENT: _ClassVar[Confidence]
    CONFIDENCE_PRELIMINARY: _ClassVar[Confidence]
    CONFIDENCE_MODERATE: _ClassVar[Confidence]
    CONFIDENCE_HIGH: _ClassVar[Confidence]

class DriftEventKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DRIFT_EVENT_KIND_UNSPECIFIED: _ClassVar[DriftEventKind]
    DRIFT_EVENT_KIND_TOP_MODEL_CHANGED: _ClassVar[DriftEventKind]
    DRIFT_EVENT_KIND_MODEL_APPEARED: _ClassVar[DriftEventKind]
    DRIFT_EVENT_KIND_MODEL_DISAPPEARED: _ClassVar[DriftEventKind]
    DRIFT_EVENT_KIND_DISTRIBUTION_SHIFT: _ClassVar[DriftEventKind]
CONFIDENCE_UNSPECIFIED: Confidence
CONFIDENCE_INSUFFICIENT: Confidence
CONFIDENCE_PRELIMINARY: Confidence
CONFIDENCE_MODERATE: Confidence
CONFIDENCE_HIGH: Confidence
DRIFT_EVENT_KIND_UNSPECIFIED: DriftEventKind
DRIFT_EVENT_KIND_TOP_MODEL_CHANGED: DriftEventKind
DRIFT_EVENT_KIND_MODEL_APPEARED: DriftEventKind
DRIFT_EVENT_KIND_MODEL_DISAPPEARED: DriftEventKind
DRIFT_EVENT_KIND_DISTRIBUTION_SHIFT: DriftEventKind

class ExecuteQueryRequest(_message.Message):
    __slots__ = ("sql", "max_rows", "timeout")
    SQL_FIELD_NUMBER: _ClassVar[int]
    MAX_ROWS_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    sql: str
    max_rows: int
    timeout: _duration_pb2.Duration
    def __init__(self, sql: _Optional[str] = ..., max_rows: _Optional[int] = ..., timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class QueryColumn(_message.Message):
    __slots__ = ("name", "type")
    NAME_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    name: str
    type: str
    def __init__(self, name: _Optional[str] = ..., type: _Optional[str] = ...) -> None: ...

class QueryRow(_message.Message):
    __slots__ = ("values",)
    VALUES_FIELD_NUMBER: _ClassVar[int]
    values: _containers.RepeatedCompositeFieldContainer[_struct_pb2.Value]
    def __init__(self, values: _Optional[_Iterable[_Union[_struct_pb2.Value, _Mapping]]] = ...) -> None: ...

class ExecuteQueryResponse(_message.Message):
    __slots__ = ("columns", "rows", "truncated", "elapsed")
    COLUMNS_FIELD_NUMBER: _ClassVar[int]
    ROWS_FIELD_NUMBER: _ClassVar[int]
    TRUNCATED_FIELD_NUMBER: _ClassVar[int]
    ELAPSED_FIELD_NUMBER: _ClassVar[int]
    columns: _containers.RepeatedCompositeFieldContainer[QueryColumn]
    rows: _containers.RepeatedCompositeFieldContainer[QueryRow]
    truncated: bool
    elapsed: _duration_pb2.Duration
    def __init__(self, columns: _Optional[_Iterable[_Union[QueryColumn, _Mapping]]] = ..., rows: _Optional[_Iterable[_Union[QueryRow, _Mapping]]] = ..., truncated: _Optional[bool] = ..., elapsed: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class DriftFilter(_message.Message):
    __slots__ = ("tier", "window", "since", "until", "requested_model", "divergence_threshold")
    TIER_FIELD_NUMBER: _ClassVar[int]
    WINDOW_FIELD_NUMBER: _ClassVar[int]
    SINCE_FIELD_NUMBER: _ClassVar[int]
    UNTIL_FIELD_NUMBER: _ClassVar[int]
    REQUESTED_MODEL_FIELD_NUMBER: _ClassVar[int]
    DIVERGENCE_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    tier: str
    window: _duration_pb2.Duration
    since: _timestamp_pb2.Timestamp
    until: _timestamp_pb2.Timestamp
    requested_model: str
    divergence_threshold: float
    def __init__(self, tier: _Optional[str] = ..., window: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., requested_model: _Optional[str] = ..., divergence_threshold: _Optional[float] = ...) -> None: ...

class SelectionShare(_message.Message):
    __slots__ = ("window_start", "tier", "band", "requested_model", "resolved_model", "count", "share", "window_total")
    WINDOW_START_FIELD_NUMBER: _ClassVar[int]
    TIER_FIELD_NUMBER: _ClassVar[int]
    BAND_FIELD_NUMBER: _ClassVar[int]
    REQUESTED_MODEL_FIELD_NUMBER: _ClassVar[int]
    RESOLVED_MODEL_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    SHARE_FIELD_NUMBER: _ClassVar[int]
    WINDOW_TOTAL_FIELD_NUMBER: _ClassVar[int]
    window_start: _timestamp_pb2.Timestamp
    tier: str
    band: str
    requested_model: str
    resolved_model: str
    count: int
    share: float
    window_total: int
    def __init__(self, window_start: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., tier: _Optional[str] = ..., band: _Optional[str] = ..., requested_model: _Optional[str] = ..., resolved_model: _Optional[str] = ..., count: _Optional[int] = ..., share: _Optional[float] = ..., window_total: _Optional[int] = ...) -> None: ...

class ModelShare(_message.Message):
    __slots__ = ("model", "share", "count")
    MODEL_FIELD_NUMBER: _ClassVar[int]
    SHARE_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    model: str
    share: float
    count: int
    def __init__(self, model: _Optional[str] = ..., share: _Optional[float] = ..., count: _Optional[int] = ...) -> None: ...

class DriftEvent(_message.Message):
    __slots__ = ("kind", "tier", "window_start", "previous_window_start", "model", "previous_top_model", "shares_before", "shares_after", "divergence", "evidence_count", "confidence")
    KIND_FIELD_NUMBER: _ClassVar[int]
    TIER_FIELD_NUMBER: _ClassVar[int]
    WINDOW_START_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_WINDOW_START_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_TOP_MODEL_FIELD_NUMBER: _ClassVar[int]
    SHARES_BEFORE_FIELD_NUMBER: _ClassVar[int]
    SHARES_AFTER_FIELD_NUMBER: _ClassVar[int]
    DIVERGENCE_FIELD_NUMBER: _ClassVar[int]
    EVIDENCE_COUNT_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    kind: DriftEventKind
    tier: str
    window_start: _timestamp_pb2.Timestamp
    previous_window_start: _timestamp_pb2.Timestamp
    model: str
    previous_top_model: str
    shares_before: _containers.RepeatedCompositeFieldContainer[ModelShare]
    shares_after: _containers.RepeatedCompositeFieldContainer[ModelShare]
    divergence: float
    evidence_count: int
    confidence: Confidence
    def __init__(self, kind: _Optional[_Union[DriftEventKind, str]] = ..., tier: _Optional[str] = ..., window_start: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., previous_window_start: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., model: _Optional[str] = ..., previous_top_model: _Optional[str] = ..., shares_before: _Optional[_Iterable[_Union[ModelShare, _Mapping]]] = ..., shares_after: _Optional[_Iterable[_Union[ModelShare, _Mapping]]] = ..., divergence: _Optional[float] = ..., evidence_count: _Optional[int] = ..., confidence: _Optional[_Union[Confidence, str]] = ...) -> None: ...

class FrontierChange(_message.Message):
    __slots__ = ("snapshot_time", "added", "removed", "frontier")
    SNAPSHOT_TIME_FIELD_NUMBER: _ClassVar[int]
    ADDED_FIELD_NUMBER: _ClassVar[int]
    REMOVED_FIELD_NUMBER: _ClassVar[int]
    FRONTIER_FIELD_NUMBER: _ClassVar[int]
    snapshot_time: _timestamp_pb2.Timestamp
    added: _containers.RepeatedScalarFieldContainer[str]
    removed: _containers.RepeatedScalarFieldContainer[str]
    frontier: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, snapshot_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., added: _Optional[_Iterable[str]] = ..., removed: _Optional[_Iterable[str]] = ..., frontier: _Optional[_Iterable[str]] = ...) -> None: ...

class FrontierFit(_message.Message):
    __slots__ = ("tier", "selections", "on_frontier", "rate")
    TIER_FIELD_NUMBER: _ClassVar[int]
    SELECTIONS_FIELD_NUMBER: _ClassVar[int]
    ON_FRONTIER_FIELD_NUMBER: _ClassVar[int]
    RATE_FIELD_NUMBER: _ClassVar[int]
    tier: str
    selections: int
    on_frontier: int
    rate: float
    def __init__(self, tier: _Optional[str] = ..., selections: _Optional[int] = ..., on_frontier: _Optional[int] = ..., rate: _Optional[float] = ...) -> None: ...

class DuplicateRate(_message.Message):
    __slots__ = ("tier", "sessions", "calls", "duplicates", "rate", "confidence")
    TIER_FIELD_NUMBER: _ClassVar[int]
    SESSIONS_FIELD_NUMBER: _ClassVar[int]
    CALLS_FIELD_NUMBER: _ClassVar[int]
    DUPLICATES_FIELD_NUMBER: _ClassVar[int]
    RATE_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    tier: str
    sessions: int
    calls: int
    duplicates: int
    rate: float
    confidence: Confidence
    def __init__(self, tier: _Optional[str] = ..., sessions: _Optional[int] = ..., calls: _Optional[int] = ..., duplicates: _Optional[int] = ..., rate: _Optional[float] = ..., confidence: _Optional[_Union[Confidence, str]] = ...) -> None: ...

class ScoreSummary(_message.Message):
    __slots__ = ("count", "mean", "ci_low", "ci_high")
    COUNT_FIELD_NUMBER: _ClassVar[int]
    MEAN_FIELD_NUMBER: _ClassVar[int]
    CI_LOW_FIELD_NUMBER: _ClassVar[int]
    CI_HIGH_FIELD_NUMBER: _ClassVar[int]
    count: int
    mean: float
    ci_low: float
    ci_high: float
    def __init__(self, count: _Optional[int] = ..., mean: _Optional[float] = ..., ci_low: _Optional[float] = ..., ci_high: _Optional[float] = ...) -> None: ...

class ReviewComparison(_message.Message):
    __slots__ = ("tier", "pareto", "named", "difference", "confidence")
    TIER_FIELD_NUMBER: _ClassVar[int]
    PARETO_FIELD_NUMBER: _ClassVar[int]
    NAMED_FIELD_NUMBER: _ClassVar[int]
    DIFFERENCE_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    tier: str
    pareto: ScoreSummary
    named: ScoreSummary
    difference: float
    confidence: Confidence
    def __init__(self, tier: _Optional[str] = ..., pareto: _Optional[_Union[ScoreSummary, _Mapping]] = ..., named: _Optional[_Union[ScoreSummary, _Mapping]] = ..., difference: _Optional[float] = ..., confidence: _Optional[_Union[Confidence, str]] = ...) -> None: ...

class CostCheck(_message.Message):
    __slots__ = ("tier", "calls", "mean_cost_usd", "expected_cost_usd", "over_budget", "confidence")
    TIER_FIELD_NUMBER: _ClassVar[int]
    CALLS_FIELD_NUMBER: _ClassVar[int]
    MEAN_COST_USD_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_COST_USD_FIELD_NUMBER: _ClassVar[int]
    OVER_BUDGET_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    tier: str
    calls: int
    mean_cost_usd: float
    expected_cost_usd: float
    over_budget: bool
    confidence: Confidence
    def __init__(self, tier: _Optional[str] = ..., calls: _Optional[int] = ..., mean_cost_usd: _Optional[float] = ..., expected_cost_usd: _Optional[float] = ..., over_budget: _Optional[bool] = ..., confidence: _Optional[_Union[Confidence, str]] = ...) -> None: ...

class DriftReport(_message.Message):
    __slots__ = ("filter", "generated_at", "shares", "events", "frontier_changes", "frontier_fit", "duplicates", "reviews", "costs", "total_selections")
    FILTER_FIELD_NUMBER: _ClassVar[int]
    GENERATED_AT_FIELD_NUMBER: _ClassVar[int]
    SHARES_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    FRONTIER_CHANGES_FIELD_NUMBER: _ClassVar[int]
    FRONTIER_FIT_FIELD_NUMBER: _ClassVar[int]
    DUPLICATES_FIELD_NUMBER: _ClassVar[int]
    REVIEWS_FIELD_NUMBER: _ClassVar[int]
    COSTS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SELECTIONS_FIELD_NUMBER: _ClassVar[int]
    filter: DriftFilter
    generated_at: _timestamp_pb2.Timestamp
    shares: _containers.RepeatedCompositeFieldContainer[SelectionShare]
    events: _containers.RepeatedCompositeFieldContainer[DriftEvent]
    frontier_changes: _containers.RepeatedCompositeFieldContainer[FrontierChange]
    frontier_fit: _containers.RepeatedCompositeFieldContainer[FrontierFit]
    duplicates: _containers.RepeatedCompositeFieldContainer[DuplicateRate]
    reviews: _containers.RepeatedCompositeFieldContainer[ReviewComparison]
    costs: _containers.RepeatedCompositeFieldContainer[CostCheck]
    total_selections: int
    def __init__(self, filter: _Optional[_Union[DriftFilter, _Mapping]] = ..., generated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., shares: _Optional[_Iterable[_Union[SelectionShare, _Mapping]]] = ..., events: _Optional[_Iterable[_Union[DriftEvent, _Mapping]]] = ..., frontier_changes: _Optional[_Iterable[_Union[FrontierChange, _Mapping]]] = ..., frontier_fit: _Optional[_Iterable[_Union[FrontierFit, _Mapping]]] = ..., duplicates: _Optional[_Iterable[_Union[DuplicateRate, _Mapping]]] = ..., reviews: _Optional[_Iterable[_Union[ReviewComparison, _Mapping]]] = ..., costs: _Optional[_Iterable[_Union[CostCheck, _Mapping]]] = ..., total_selections: _Optional[int] = ...) -> None: ...

class GetDriftReportRequest(_message.Message):
    __slots__ = ("filter",)
    FILTER_FIELD_NUMBER: _ClassVar[int]
    filter: DriftFilter
    def __init__(self, filter: _Optional[_Union[DriftFilter, _Mapping]] = ...) -> None: ...

class GetDriftReportResponse(_message.Message):
    __slots__ = ("report",)
    REPORT_FIELD_NUMBER: _ClassVar[int]
    report: DriftReport
    def __init__(self, report: _Optional[_Union[DriftReport, _Mapping]] = ...) -> None: ...

class ListSelectionSharesRequest(_message.Message):
    __slots__ = ("filter", "by_band_and_requested_model")
    FILTER_FIELD_NUMBER: _ClassVar[int]
    BY_BAND_AND_REQUESTED_MODEL_FIELD_NUMBER: _ClassVar[int]
    filter: DriftFilter
    by_band_and_requested_model: bool
    def __init__(self, filter: _Optional[_Union[DriftFilter, _Mapping]] = ..., by_band_and_requested_model: _Optional[bool] = ...) -> None: ...

class ListSelectionSharesResponse(_message.Message):
    __slots__ = ("shares",)
    SHARES_FIELD_NUMBER: _ClassVar[int]
    shares: _containers.RepeatedCompositeFieldContainer[SelectionShare]
    def __init__(self, shares: _Optional[_Iterable[_Union[SelectionShare, _Mapping]]] = ...) -> None: ...

class ListDriftEventsRequest(_message.Message):
    __slots__ = ("filter",)
    FILTER_FIELD_NUMBER: _ClassVar[int]
    filter: DriftFilter
    def __init__(self, filter: _Optional[_Union[DriftFilter, _Mapping]] = ...) -> None: ...

class ListDriftEventsResponse(_message.Message):
    __slots__ = ("events",)
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[DriftEvent]
    def __init__(self, events: _Optional[_Iterable[_Union[DriftEvent, _Mapping]]] = ...) -> None: ...
