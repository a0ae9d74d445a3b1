"""Tracing with OpenTelemetry: one trace from a request to every effect it has, across the
services, carried by the events.

Spans: each HTTP request (FastAPI's own, which continues a caller's `traceparent`), each
event published by the relay, each event consumed, and whatever a service adds (the
notification service's send). The W3C trace context
(`traceparent`) travels with the events: `outbox.append` stores the context the event was
written in (the request's span, or the span of the event that caused it), the relay starts
a publish span under it and sends that span's context as a Kafka header, and the consumer
continues it in a span per event. An event written by a handler is attributed to the span
of its cause (`causation_id`), so a batch of events from many traces keeps each apart.

Tracing is on when spans have somewhere to go: OTLP over HTTP when
`OTEL_EXPORTER_OTLP_ENDPOINT` is set (the exporter reads the standard `OTEL_EXPORTER_OTLP_*`
variables), and JSON lines in `<TRACES_DIR>/<service>.jsonl` when `TRACES_DIR` is set (for
tests and local reading). Off, no span is made, and a `traceparent` that arrives is passed
on unchanged, so a trace survives a service that does not record it."""

import contextlib
import contextvars
import json
import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.trace import Span, SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

TRACEPARENT = "traceparent"
_PROPAGATOR = TraceContextTextMapPropagator()
_TRACER_NAME = "onboarding"

# The trace context each event id in the work at hand continues: a handler's events are
# written in the context of the event that caused them.
_NO_CAUSES: Mapping[str, str] = MappingProxyType({})
_CAUSES: contextvars.ContextVar[Mapping[str, str]] = contextvars.ContextVar(
    "onboarding_trace_causes", default=_NO_CAUSES
)
_enabled = False

Kind = Literal["internal", "server", "client", "producer", "consumer"]
_KINDS = {
    "internal": SpanKind.INTERNAL,
    "server": SpanKind.SERVER,
    "client": SpanKind.CLIENT,
    "producer": SpanKind.PRODUCER,
    "consumer": SpanKind.CONSUMER,
}


def configure_tracing(
    service: str, *, otlp_endpoint: str | None, traces_dir: str | None
) -> TracerProvider | None:
    """Install the process's tracer provider when spans have somewhere to go; None (and
    tracing off) otherwise. Once per process."""
    global _enabled
    if not otlp_endpoint and not traces_dir:
        return None
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    if otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    if traces_dir:
        path = Path(traces_dir) / f"{service}.jsonl"
        provider.add_span_processor(BatchSpanProcessor(JsonLinesExporter(path, service)))
    trace.set_tracer_provider(provider)
    _enabled = True
    return provider


def enabled() -> bool:
    return _enabled


def tracer() -> trace.Tracer:
    return trace.get_tracer(_TRACER_NAME)


def context_from(traceparent: str | None) -> Context | None:
    """The context a `traceparent` value names (None for none, or one not well formed)."""
    if not traceparent:
        return None
    found = _PROPAGATOR.extract({TRACEPARENT: traceparent})
    return found if trace.get_current_span(found).get_span_context().is_valid else None


def traceparent_of(span: Span | None = None) -> str | None:
    """`span`'s context (the current span's by default) as a `traceparent` value."""
    current = span if span is not None else trace.get_current_span()
    if not current.get_span_context().is_valid:
        return None
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier, context=trace.set_span_in_context(current))
    return carrier.get(TRACEPARENT)


def traceparent_for(cause: str | None) -> str | None:
    """The context an event caused by event `cause` is written in: its cause's, when the
    work at hand continues it, or else the current span's."""
    if cause is not None:
        found = _CAUSES.get().get(cause)
        if found is not None:
            return found
    return traceparent_of()


@contextlib.contextmanager
def continuing(causes: Mapping[str, str | None]) -> Iterator[None]:
    """While inside, events caused by these event ids are written in the given contexts."""
    known = {event_id: value for event_id, value in causes.items() if value}
    token = _CAUSES.set({**_CAUSES.get(), **known})
    try:
        yield
    finally:
        _CAUSES.reset(token)


def start_span(
    name: str,
    *,
    parent: str | None,
    kind: Kind = "internal",
    attributes: Mapping[str, str | int] | None = None,
) -> Span | None:
    """A span under the context `parent` names (a new trace without one); None when tracing
    is off. The caller ends it."""
    if not _enabled:
        return None
    return tracer().start_span(
        name, context=context_from(parent), kind=_KINDS[kind], attributes=dict(attributes or {})
    )


@contextlib.contextmanager
def current(span: Span | None) -> Iterator[None]:
    """`span` as the current span while inside (log lines carry its trace id); nothing for
    no span. The caller still ends it."""
    if span is None:
        yield
        return
    with trace.use_span(span, end_on_exit=False, record_exception=False):
        yield


def end_span(span: Span | None, error: BaseException | None = None) -> None:
    if span is None:
        return
    if error is not None:
        span.record_exception(error)
        span.set_status(Status(StatusCode.ERROR, f"{type(error).__name__}: {error}"[:500]))
    span.end()


def current_trace_id() -> str | None:
    """The current trace's id in hex, for log lines; None outside any trace."""
    context = trace.get_current_span().get_span_context()
    return format(context.trace_id, "032x") if context.is_valid else None


class JsonLinesExporter(SpanExporter):
    """Spans as JSON lines appended to a file: trace and span ids in hex, the parent's, the
    service, name, kind, times (ns since the epoch), attributes and status."""

    def __init__(self, path: Path, service: str) -> None:
        self.path = path
        self.service = service
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        lines = [json.dumps(self._as_dict(span), default=str) + "\n" for span in spans]
        with self._lock, self.path.open("a", encoding="utf-8") as out:
            out.writelines(lines)
        return SpanExportResult.SUCCESS

    def _as_dict(self, span: ReadableSpan) -> dict[str, Any]:
        context = span.get_span_context()
        parent = span.parent
        return {
            "trace_id": format(context.trace_id, "032x") if context else None,
            "span_id": format(context.span_id, "016x") if context else None,
            "parent_span_id": format(parent.span_id, "016x") if parent else None,
            "service": self.service,
            "name": span.name,
            "kind": span.kind.name.lower(),
            "start_ns": span.start_time,
            "end_ns": span.end_time,
            "attributes": dict(span.attributes or {}),
            "status": span.status.status_code.name.lower(),
        }

    def shutdown(self) -> None:
        pass
