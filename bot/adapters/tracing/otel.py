"""OpenTelemetry traces: one click becomes one trace (the door, the handlers it
runs, the connector call), exported over OTLP/HTTP when
``BLASTWALL_OTLP_ENDPOINT`` names a collector.

Without it nothing is set up and the API's no-op tracer costs next to nothing.
Spans carry names and system/command labels only, never request bodies, so
nothing secret can leave through them.
"""

from __future__ import annotations

from collections.abc import Mapping

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter

ENDPOINT = "BLASTWALL_OTLP_ENDPOINT"


def install_tracing(environ: Mapping[str, str], exporter: SpanExporter | None = None) -> bool:
    """Send spans to ``exporter``, or to the OTLP endpoint configured; False when
    neither is there (tracing stays off)."""
    endpoint = environ.get(ENDPOINT, "").strip()
    if exporter is None and not endpoint:
        return False
    if exporter is None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporter = OTLPSpanExporter(endpoint=endpoint.rstrip("/") + "/v1/traces")
    provider = TracerProvider(resource=Resource.create({"service.name": "blastwall"}))
    provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    return True
