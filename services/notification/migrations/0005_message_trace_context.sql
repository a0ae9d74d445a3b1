-- The trace each message continues (a W3C `traceparent`: the span of the event that queued
-- it), so its send and the events about it join the trace of the request behind it.
ALTER TABLE messages ADD COLUMN trace_context text;
