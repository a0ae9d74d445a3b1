CREATE TABLE invitations (
    id             text        PRIMARY KEY,
    tenant_id      text        NOT NULL,
    enrolment_id   text        NOT NULL UNIQUE,
    email          text        NOT NULL,
    name           text        NOT NULL,
    course         text        NOT NULL,
    channel        text        NOT NULL,
    phone          text,
    status         text        NOT NULL,
    -- SHA-256 of the current link's token; the token itself is never stored. A resend
    -- replaces it, which kills every earlier link.
    token_hash     bytea       NOT NULL UNIQUE,
    send_count     integer     NOT NULL DEFAULT 1,
    expires_at     timestamptz NOT NULL,
    accepted_at    timestamptz,
    account_id     text,
    correlation_id text        NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX invitations_pending_expiry ON invitations (expires_at) WHERE status = 'pending';
