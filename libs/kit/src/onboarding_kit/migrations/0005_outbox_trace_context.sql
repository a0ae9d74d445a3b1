-- The W3C trace context each event was written in (a `traceparent` value), sent with it as
-- a Kafka header so the trace goes on in the consumers.
ALTER TABLE outbox ADD COLUMN trace_context text;
ALTER TABLE outbox_dead ADD COLUMN trace_context text;
