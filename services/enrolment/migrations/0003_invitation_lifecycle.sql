-- The invitation lifecycle (issue 8): a tenant's link rules and reminder schedule, when a
-- reminder was last asked for, and the enrolment service's view of each invitation.

-- The bounds are the API's (domain/settings.py); checked here too, so no path can store a
-- value the invitation service would refuse in a LinkPolicy.
ALTER TABLE tenants
    ADD COLUMN invitation_ttl_hours double precision NOT NULL DEFAULT 24
        CHECK (invitation_ttl_hours > 0 AND invitation_ttl_hours <= 720),
    ADD COLUMN max_resends integer NOT NULL DEFAULT 3 CHECK (max_resends BETWEEN 0 AND 10),
    ADD COLUMN self_service_resend boolean NOT NULL DEFAULT false,
    -- NULL: no scheduled reminders.
    ADD COLUMN reminder_after_hours double precision
        CHECK (reminder_after_hours > 0 AND reminder_after_hours <= 720),
    ADD COLUMN max_reminders integer NOT NULL DEFAULT 2 CHECK (max_reminders BETWEEN 0 AND 10);

-- Set when a ReminderRequested is emitted: nobody is reminded twice within the hour (a
-- double click), nor by the schedule more than once per period.
ALTER TABLE enrolments ADD COLUMN reminder_requested_at timestamptz;

-- The invitation of each enrolment as its events tell it (the invitation service owns the
-- truth). An InvitationIssued is applied only when its send_count is higher than the one
-- stored, an InvitationExpired only when it equals it: events of a replaced link that
-- arrive late change nothing.
CREATE TABLE invitations (
    enrolment_id    text        PRIMARY KEY REFERENCES enrolments (id),
    invitation_id   text        NOT NULL,
    status          text        NOT NULL,  -- pending, accepted, expired, revoked
    send_count      integer     NOT NULL,
    resend_count    integer     NOT NULL DEFAULT 0,
    reminder_count  integer     NOT NULL DEFAULT 0,
    last_sent_at    timestamptz NOT NULL,
    expires_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now()
);
-- The scheduled reminders look for links sent long enough ago.
CREATE INDEX invitations_due ON invitations (last_sent_at) WHERE status IN ('pending', 'expired');

-- Invitations issued before this migration: one link each (there were no resends), its
-- lifetime the default one.
INSERT INTO invitations (enrolment_id, invitation_id, status, send_count, last_sent_at,
                         expires_at)
SELECT id, invitation_id,
       CASE WHEN status = 'cancelled' THEN 'revoked'
            WHEN registered_at IS NOT NULL OR status IN ('active', 'pending_activation')
                THEN 'accepted'
            WHEN status = 'expired' THEN 'expired'
            ELSE 'pending' END,
       1, invited_at, invited_at + interval '24 hours'
FROM enrolments
WHERE invitation_id IS NOT NULL AND invited_at IS NOT NULL;
