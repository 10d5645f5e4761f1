"""The real OpenTelemetry SDK exporter against a forced store failure: it is told to retry
(UNAVAILABLE + RetryInfo), retries, and the span ends up stored once under FINAL."""

from __future__ import annotations

import asyncio

from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from telemetry_service.server import TelemetryApp


def finished_genai_span() -> list[object]:
    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "sdk-app"}))
    provider.add_span_processor(SimpleSpanProcessor(memory))
    with provider.get_tracer("sdk-test").start_as_current_span(
        "chat openai/gpt-4o", kind=SpanKind.CLIENT
    ) as current:
        current.set_attribute("gen_ai.operation.name", "chat")
        current.set_attribute("gen_ai.provider.name", "openrouter")
        current.set_attribute("gen_ai.request.model", "openai/gpt-4o")
        current.set_attribute("gen_ai.response.model", "openai/gpt-4o")
    provider.shutdown()
    return list(memory.get_finished_spans())


async def test_sdk_exporter_retries_after_store_failure_and_row_is_stored_once(
    app: TelemetryApp,
) -> None:
    assert app.store is not None and app.writer is not None
    spans = finished_genai_span()
    exporter = OTLPSpanExporter(endpoint=f"127.0.0.1:{app.port}", insecure=True, timeout=20)
    await app.store.command("DETACH TABLE seat_selections")
    try:
        exporting = asyncio.create_task(asyncio.to_thread(exporter.export, spans))  # type: ignore[arg-type]
        # The writer exposes a counter, not an event: poll it every 20 ms.
        while app.writer.stats.failed_flushes == 0:  # noqa: ASYNC110
            await asyncio.sleep(0.02)
    finally:
        await app.store.command("ATTACH TABLE seat_selections")
    result = await exporting
    exporter.shutdown()

    assert result == SpanExportResult.SUCCESS
    final = app.store.query_sync("SELECT count() FROM seat_selections FINAL").rows[0][0]
    assert final == 1
