-- Transactional outbox: rows written in the same transaction as the state change they
-- announce; the relay publishes them to Kafka and deletes them.
CREATE TABLE outbox (
    id          bigserial   PRIMARY KEY,
    topic       text        NOT NULL,
    key         text        NOT NULL,
    event_id    text        NOT NULL,
    event_type  text        NOT NULL,
    payload     jsonb       NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
-- The relay only takes a row when no earlier row of the same key is still waiting.
CREATE INDEX outbox_key_id ON outbox (key, id);

-- Inbox: one row per event a consumer has applied, written in the handler's transaction,
-- so a redelivered event is recognised and skipped.
CREATE TABLE inbox (
    consumer     text        NOT NULL,
    event_id     text        NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);
