-- Messaging (issue 11): the language of each person's messages, a tenant's messaging
-- settings, why an enrolment's last link could not be delivered, and every message sent to
-- a person as the notification service's events tell it.

-- A BCP 47 tag ("fr", "pt-BR"), its language lower-cased; NULL: English.
ALTER TABLE enrolments
    ADD COLUMN locale text,
    -- Set with status 'failed': the notification service's reason; cleared by a new link.
    ADD COLUMN failure_reason text;

-- The bounds are the API's (domain/settings.py), checked here too. NULL: the platform's.
ALTER TABLE tenants
    ADD COLUMN sender_name text CHECK (char_length(sender_name) <= 100),
    ADD COLUMN message_intro text CHECK (char_length(message_intro) <= 500),
    ADD COLUMN messages_per_second double precision
        CHECK (messages_per_second > 0 AND messages_per_second <= 1000);

-- Each message to a person (one per notification id): its latest state, which only ever
-- moves forward (retrying < sent < delivered | failed | undelivered; domain/messages.py).
CREATE TABLE messages (
    notification_id  text        PRIMARY KEY,
    tenant_id        text        NOT NULL REFERENCES tenants (id),
    enrolment_id     text        NOT NULL REFERENCES enrolments (id),
    -- The invitation whose link it carries (for a welcome, the one the account came from).
    invitation_id    text        NOT NULL,
    send_count       integer,                  -- which link (NULL: a welcome, or unknown)
    kind             text        NOT NULL,
    channel          text        NOT NULL,
    status           text        NOT NULL
        CHECK (status IN ('retrying', 'sent', 'delivered', 'failed', 'undelivered')),
    attempts         integer     NOT NULL DEFAULT 0,
    provider_id      text,
    last_error       text,
    created_at       timestamptz NOT NULL,  -- the time of its earliest event seen
    sent_at          timestamptz,
    delivered_at     timestamptz,
    failed_at        timestamptz,
    next_attempt_at  timestamptz,
    updated_at       timestamptz NOT NULL
);
CREATE INDEX messages_enrolment ON messages (enrolment_id, created_at, notification_id);

-- Before this migration the funnel counted as failed an invited person whose message failed
-- and none was delivered since: they are failed now (the reason was not kept).
UPDATE enrolments SET status = 'failed'
WHERE status = 'invited' AND failed_at IS NOT NULL AND emailed_at IS NULL;
