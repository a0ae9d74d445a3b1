-- Registration and accounts (issue 9): whether a tenant approves each registered account by
-- hand (seed 003), and where sign-in names come from (seed 004). Both travel in every
-- LinkPolicy; the bounds are the API's (domain/settings.py), checked here too so that no
-- path can store a value the other services would refuse.
ALTER TABLE tenants
    ADD COLUMN activation text NOT NULL DEFAULT 'auto'
        CHECK (activation IN ('auto', 'admin')),
    ADD COLUMN username_source text NOT NULL DEFAULT 'chosen'
        CHECK (username_source IN ('chosen', 'email'));

-- An admin's bulk activation walks a tenant's people waiting for it, by id.
CREATE INDEX enrolments_pending_activation ON enrolments (tenant_id, id)
    WHERE status = 'pending_activation';
