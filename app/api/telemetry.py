"""OpenTelemetry tracing (off by default): a span per request and per job stage, exported to
the console or to an OTLP collector (``VIDSCOPE_OTEL_EXPORTER``, ``VIDSCOPE_OTEL_ENDPOINT``)."""

from __future__ import annotations

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter

from pipelines.config import Settings


def tracer_provider(settings: Settings, processor: SpanProcessor | None = None) -> TracerProvider:
    """A provider for this app; ``processor`` overrides the exporter (tests pass an in-memory
    one). With the exporter off and no processor, spans are made and dropped."""
    provider = TracerProvider(resource=Resource.create({"service.name": "vidscope"}))
    if processor is None and settings.server.otel_exporter != "none":
        exporter: SpanExporter
        if settings.server.otel_exporter == "console":
            exporter = ConsoleSpanExporter()
        else:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            exporter = OTLPSpanExporter(endpoint=settings.server.otel_endpoint)
        processor = BatchSpanProcessor(exporter)
    if processor is not None:
        provider.add_span_processor(processor)
    return provider


def get_tracer(provider: TracerProvider) -> trace.Tracer:
    return provider.get_tracer("vidscope")
