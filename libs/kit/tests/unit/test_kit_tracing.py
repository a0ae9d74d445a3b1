"""The trace context as the events carry it: read from and written to `traceparent`, the
context an event is written in (its cause's, or the current span's), and the trace id in
log lines."""

import json
import logging

from onboarding_kit import tracing
from onboarding_kit.logs import JsonFormatter
from opentelemetry import trace
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
SPAN_ID = "00f067aa0ba902b7"
TRACEPARENT = f"00-{TRACE_ID}-{SPAN_ID}-01"


def remote_span(trace_id: str = TRACE_ID, span_id: str = SPAN_ID) -> NonRecordingSpan:
    return NonRecordingSpan(
        SpanContext(int(trace_id, 16), int(span_id, 16), True, TraceFlags(TraceFlags.SAMPLED))
    )


def test_a_traceparent_names_its_context_and_a_malformed_one_none() -> None:
    context = tracing.context_from(TRACEPARENT)
    assert context is not None
    found = trace.get_current_span(context).get_span_context()
    assert (format(found.trace_id, "032x"), format(found.span_id, "016x")) == (TRACE_ID, SPAN_ID)
    assert tracing.context_from("00-not-a-trace-01") is None
    assert tracing.context_from(f"00-{'0' * 32}-{SPAN_ID}-01") is None  # the invalid trace id
    assert tracing.context_from(None) is None


def test_a_span_is_written_as_its_traceparent() -> None:
    assert tracing.traceparent_of(remote_span()) == TRACEPARENT
    assert tracing.traceparent_of() is None  # outside any span


def test_an_event_continues_its_cause_else_the_current_span() -> None:
    other = f"00-{'a' * 32}-{'b' * 16}-01"
    with trace.use_span(remote_span()):
        with tracing.continuing({"evt-cause": other, "evt-none": None}):
            assert tracing.traceparent_for("evt-cause") == other
            assert tracing.traceparent_for("evt-none") == TRACEPARENT
            assert tracing.traceparent_for("evt-unrelated") == TRACEPARENT
            assert tracing.traceparent_for(None) == TRACEPARENT
        assert tracing.traceparent_for("evt-cause") == TRACEPARENT  # only while inside
    assert tracing.traceparent_for("evt-cause") is None


def test_no_span_is_made_while_tracing_is_off() -> None:
    assert not tracing.enabled()
    assert tracing.start_span("send email", parent=TRACEPARENT) is None
    tracing.end_span(None)  # nothing to end


def test_log_lines_inside_a_trace_carry_its_id() -> None:
    formatter = JsonFormatter("enrolment")
    record = logging.makeLogRecord({"msg": "something happened", "levelname": "INFO"})
    with trace.use_span(remote_span()):
        inside = json.loads(formatter.format(record))
    outside = json.loads(formatter.format(record))
    assert inside["trace_id"] == TRACE_ID
    assert "trace_id" not in outside
