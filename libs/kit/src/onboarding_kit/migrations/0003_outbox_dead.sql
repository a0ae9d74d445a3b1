-- Events the broker refused for good (too large, an invalid topic): set aside with the
-- error, for operations to see and act on, so that the relay carries on with the rest.
CREATE TABLE outbox_dead (
    id          bigint      PRIMARY KEY,
    topic       text        NOT NULL,
    key         text        NOT NULL,
    event_id    text        NOT NULL,
    event_type  text        NOT NULL,
    payload     jsonb       NOT NULL,
    created_at  timestamptz NOT NULL,
    failed_at   timestamptz NOT NULL,
    error       text        NOT NULL
);
