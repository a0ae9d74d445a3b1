-- The invitation lifecycle: resends, reminders, expiry by a sweeper, and the links a newer
-- one replaced.

ALTER TABLE invitations
    ADD COLUMN resend_count     integer     NOT NULL DEFAULT 0,
    ADD COLUMN reminder_count   integer     NOT NULL DEFAULT 0,
    ADD COLUMN last_sent_at     timestamptz,
    ADD COLUMN last_reminded_at timestamptz,
    ADD COLUMN expired_at       timestamptz,
    -- The tenant's link policy the current link was sent under. A person's own request for
    -- a new link brings no policy, so it is judged (and its link lasts) by this one.
    ADD COLUMN ttl_hours           double precision NOT NULL DEFAULT 24,
    ADD COLUMN max_resends         integer          NOT NULL DEFAULT 3,
    ADD COLUMN self_service_resend boolean          NOT NULL DEFAULT false;

-- Every invitation so far was sent once, when it was created, with the lifetime it has.
UPDATE invitations SET
    last_sent_at = created_at,
    ttl_hours = CASE WHEN expires_at > created_at
                     THEN LEAST(720, extract(epoch FROM expires_at - created_at) / 3600)
                     ELSE 24 END;
ALTER TABLE invitations ALTER COLUMN last_sent_at SET NOT NULL;

-- The hash of each link a resend or a reminder replaced: such a link is refused as
-- "replaced" (the person is told to use the newest one), not as "unknown".
CREATE TABLE replaced_links (
    token_hash    bytea       PRIMARY KEY,
    invitation_id text        NOT NULL REFERENCES invitations (id),
    replaced_at   timestamptz NOT NULL
);

-- The sweeper's scan (pending invitations by expires_at) is served by the partial index
-- invitations_pending_expiry of 0001, which was made for it.
