CREATE TABLE accounts (
    id             text        PRIMARY KEY,
    tenant_id      text        NOT NULL,
    username       text        NOT NULL,
    email          text        NOT NULL,
    first_name     text        NOT NULL,
    last_name      text        NOT NULL,
    password_hash  text        NOT NULL,  -- argon2id
    -- 'reserved' while the invitation is being redeemed, then 'active'.
    status         text        NOT NULL,
    invitation_id  text        NOT NULL,
    enrolment_id   text        NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    activated_at   timestamptz,
    UNIQUE (tenant_id, username)
);
-- Concurrent sign-ups with one link may each hold a reservation; the invitation service's
-- redeem lets exactly one through, and only that one becomes active.
CREATE UNIQUE INDEX accounts_one_active_per_invitation ON accounts (invitation_id)
    WHERE status = 'active';
