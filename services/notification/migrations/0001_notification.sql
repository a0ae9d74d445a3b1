CREATE TABLE notifications (
    id             text        PRIMARY KEY,
    tenant_id      text        NOT NULL,
    invitation_id  text        NOT NULL,
    enrolment_id   text        NOT NULL,
    send_count     integer     NOT NULL,
    channel        text        NOT NULL,
    recipient      text        NOT NULL,
    status         text        NOT NULL,
    last_error     text,
    sent_at        timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now(),
    -- One message per link: a redelivered InvitationIssued never mails twice.
    UNIQUE (invitation_id, send_count)
);
