-- One row per message, of every kind and channel: what it says (its link sealed, as it came),
-- and what became of it. A message is claimed, sent and recorded in short transactions of
-- its own (not in the consumer's), so a crash re-sends at most the messages in flight.
CREATE TABLE messages (
    id               text        PRIMARY KEY,  -- stable: the email's Message-ID
    tenant_id        text        NOT NULL,
    enrolment_id     text        NOT NULL,
    invitation_id    text        NOT NULL,     -- the link's; a welcome's: the account's
    send_count       integer,                  -- which link (NULL for a welcome)
    account_id       text,                     -- a welcome's account (NULL otherwise)
    kind             text        NOT NULL
        CHECK (kind IN ('invitation', 'resend', 'reminder', 'credentials', 'welcome')),
    channel          text        NOT NULL CHECK (channel IN ('email', 'sms')),
    recipient        text        NOT NULL,     -- an email address, or an E.164 number
    locale           text,
    content          jsonb       NOT NULL,
    correlation_id   text        NOT NULL,     -- of the event that asked for it: its
    causation_id     text,                     -- events follow on from that one
    status           text        NOT NULL
        CHECK (status IN ('queued', 'sending', 'retrying', 'sent', 'delivered', 'failed',
                          'undelivered')),
    attempts         integer     NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL,
    lease_until      timestamptz,              -- while sending: when another may take it over
    provider_id      text,
    last_error       text,
    created_at       timestamptz NOT NULL,
    sent_at          timestamptz,
    delivered_at     timestamptz,
    failed_at        timestamptz,
    updated_at       timestamptz NOT NULL,
    -- One message per link, one welcome per account: a redelivered event queues nothing.
    UNIQUE (invitation_id, send_count),
    UNIQUE (account_id)
);
-- The sender's queue, per tenant (it takes from each tenant in turn), and its leases.
CREATE INDEX messages_due ON messages (tenant_id, next_attempt_at)
    WHERE status IN ('queued', 'retrying');
CREATE INDEX messages_leased ON messages (lease_until) WHERE status = 'sending';
CREATE UNIQUE INDEX messages_provider_id ON messages (provider_id) WHERE provider_id IS NOT NULL;
CREATE INDEX messages_of_enrolment ON messages (tenant_id, enrolment_id);

-- What was sent before this table: every message as it ended. One still "sending" then was
-- interrupted, and whether it left is unknown: it is failed, not sent again.
INSERT INTO messages (id, tenant_id, enrolment_id, invitation_id, send_count, kind, channel,
                      recipient, content, correlation_id, status, attempts, next_attempt_at,
                      last_error, created_at, sent_at, failed_at, updated_at)
SELECT id, tenant_id, enrolment_id, invitation_id, send_count,
       CASE WHEN send_count = 1 THEN 'invitation' ELSE 'resend' END, channel, recipient, '{}', '',
       CASE status WHEN 'sent' THEN 'sent' ELSE 'failed' END, 1, created_at,
       CASE status WHEN 'sending' THEN 'interrupted while sending; not sent again'
                   ELSE last_error END,
       created_at, sent_at, CASE WHEN status <> 'sent' THEN created_at END, created_at
FROM notifications;
INSERT INTO messages (id, tenant_id, enrolment_id, invitation_id, account_id, kind, channel,
                      recipient, content, correlation_id, status, attempts, next_attempt_at,
                      last_error, created_at, sent_at, failed_at, updated_at)
SELECT id, tenant_id, enrolment_id, '', account_id, 'welcome', 'email', recipient, '{}', '',
       CASE status WHEN 'sent' THEN 'sent' ELSE 'failed' END, 1, created_at,
       CASE status WHEN 'sending' THEN 'interrupted while sending; not sent again'
                   ELSE last_error END,
       created_at, sent_at, CASE WHEN status <> 'sent' THEN created_at END, created_at
FROM welcome_emails;
DROP TABLE notifications;
DROP TABLE welcome_emails;

-- A tenant's messaging settings, as the enrolment service last announced them.
CREATE TABLE tenant_messaging (
    tenant_id            text        PRIMARY KEY,
    sender_name          text,
    message_intro        text,
    messages_per_second  double precision,
    changed_at           timestamptz NOT NULL
);
