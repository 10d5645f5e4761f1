"""Engine-side span ingest (TELEMETRY_INGEST_MODE=native): the raw request bytes of several
exports are written to one file and mapped to rows by the embedded engine (native_sql).

Requests the SQL cannot map exactly (see native_sql) are mapped by the Python mapping in the
same flush, so stored rows and partial_success are the same as in python mode. Runs on the
batch writer's flush thread, one flush at a time (the staging table is shared).
"""

from __future__ import annotations

import dataclasses
import logging
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from telemetry_service import native_sql
from telemetry_service.clickhouse_writer import InsertColumns, TableRows, merge_parts
from telemetry_service.genai_rows import SEAT_REVIEWS_COLUMNS, SEAT_SELECTIONS_COLUMNS
from telemetry_service.span_rows import OTEL_TRACES_COLUMNS, SpanBatch, rows_from_request

logger = logging.getLogger(__name__)

# The pseudo-table under which the batch writer carries raw exports to this writer.
RAW_EXPORTS_TABLE = "__raw_trace_exports"
RAW_EXPORTS_COLUMNS = ("export",)

Command = Callable[[str], Any]


@dataclasses.dataclass
class RawTraceExport:
    """One export's request bytes and parsed message; `python_batch` is set by the flush
    when the request went through the Python mapping (its rejects go to partial_success)."""

    payload: bytes
    message: ExportTraceServiceRequest
    python_batch: SpanBatch | None = None


def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


_INDEX_TAG = varint(native_sql.REQUEST_INDEX_FIELD << 3)  # wire type 0 (varint)


def frames(payloads: Sequence[bytes]) -> list[bytes]:
    """Length-delimited messages for the Protobuf input format, each request's index
    appended as field REQUEST_INDEX_FIELD (appending a field to a message is valid
    protobuf: the fields of concatenated encodings merge). The pieces are written as they
    are: joining them would copy every payload once more."""
    parts: list[bytes] = []
    for index, payload in enumerate(payloads):
        suffix = _INDEX_TAG + varint(index)
        parts += (varint(len(payload) + len(suffix)), payload, suffix)
    return parts


def has_events_or_links(message: ExportTraceServiceRequest) -> bool:
    return any(
        span.events or span.links
        for resource_spans in message.resource_spans
        for scope_spans in resource_spans.scope_spans
        for span in scope_spans.spans
    )


def span_parts(batch: SpanBatch) -> list[TableRows]:
    return [
        TableRows("otel_traces", OTEL_TRACES_COLUMNS, batch.traces),
        TableRows("seat_selections", SEAT_SELECTIONS_COLUMNS, batch.selections),
        TableRows("seat_reviews", SEAT_REVIEWS_COLUMNS, batch.reviews),
    ]


class NativeSpanWriter:
    """Maps and inserts raw trace exports in the engine; needs the embedded engine (the
    engine reads the batch file from this machine's disk)."""

    def __init__(self, command: Command, insert_columns: InsertColumns) -> None:
        # Every statement, the SELECT of the fallback indexes too, runs on the writer's
        # client: a long query on the reader's client must not hold up ingest.
        self._command = command
        self._insert_columns = insert_columns
        self._dir = tempfile.TemporaryDirectory(prefix="telemetry-native-")
        self._schema = Path(self._dir.name) / "otlp_subset.proto"
        self._data = Path(self._dir.name) / "batch.bin"

    def prepare(self) -> None:
        self._schema.write_text(native_sql.OTLP_SUBSET_PROTO)
        # Recreated: a table left by an older version may have other columns.
        self._command(f"DROP TABLE IF EXISTS {native_sql.STAGING_TABLE}")
        self._command(native_sql.STAGING_DDL)

    def close(self) -> None:
        """Drop the staging table and remove the batch files (the store stays open)."""
        try:
            self._command(f"DROP TABLE IF EXISTS {native_sql.STAGING_TABLE}")
        except Exception as exc:  # the driver raises several types; the table is empty anyway
            logger.warning("could not drop %s: %s", native_sql.STAGING_TABLE, exc)
        finally:
            self._dir.cleanup()

    def insert_columns(
        self, table: str, columns: Sequence[Sequence[object]], column_names: Sequence[str]
    ) -> None:
        """The batch writer's insert: raw exports here, any other table passed on."""
        if table != RAW_EXPORTS_TABLE:
            self._insert_columns(table, [list(c) for c in columns], column_names)
            return
        exports = [e for e in columns[0] if isinstance(e, RawTraceExport)]
        self.insert_exports(exports)

    def insert_exports(self, exports: Sequence[RawTraceExport]) -> None:
        with self._data.open("wb") as out:
            out.writelines(frames([e.payload for e in exports]))
        staging = native_sql.STAGING_TABLE
        try:
            # Most batches carry neither events nor links: leaving them out of the SQL saves
            # ~0.02-0.03 s of planning per flush; the parsed requests tell (~1 µs per span).
            events_or_links = any(has_events_or_links(e.message) for e in exports)
            self._command(
                native_sql.staging_insert_sql(str(self._data), str(self._schema), events_or_links)
            )
            # The driver hands back one number as an int (0 included), a list as text.
            result = self._command(native_sql.inexact_requests_sql(events_or_links))
            listed = "" if result is None else str(result)
            indexes = [int(index) for index in listed.split(",") if index]
            python_parts: list[list[TableRows]] = []
            for index in indexes:
                batch = rows_from_request(exports[index].message)
                exports[index].python_batch = batch
                python_parts.append(span_parts(batch))
            for part in merge_parts(python_parts):
                self._insert_columns(part.table, part.columns(), part.column_names)
            excluded = ",".join(str(i) for i in indexes)
            self._command(native_sql.traces_insert_sql(excluded))
            self._command(native_sql.selections_insert_sql(excluded))
            if events_or_links:
                self._command(native_sql.reviews_insert_sql(excluded))
        finally:
            self._command(f"TRUNCATE TABLE {staging}")
        if indexes:
            logger.debug("%d of %d export(s) mapped in Python", len(indexes), len(exports))
