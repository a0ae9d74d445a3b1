-- The welcome mail: one per account, sent when the account may sign in (AccountActivated).
-- Apart from `notifications`, whose rows are one per invitation link (and which ops and the
-- chaos run read as such).
CREATE TABLE welcome_emails (
    id            text        PRIMARY KEY,  -- the Message-ID, stable per account
    tenant_id     text        NOT NULL,
    -- One welcome per account: a redelivered or republished AccountActivated never mails twice.
    account_id    text        NOT NULL UNIQUE,
    enrolment_id  text        NOT NULL,
    recipient     text        NOT NULL,
    status        text        NOT NULL,
    last_error    text,
    sent_at       timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now()
);
