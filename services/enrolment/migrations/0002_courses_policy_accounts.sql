-- Courses and cohorts belong to a tenant; enrolments name them by code.
CREATE TABLE courses (
    tenant_id   text        NOT NULL REFERENCES tenants (id),
    code        text        NOT NULL,
    title       text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, code)
);

CREATE TABLE cohorts (
    tenant_id   text        NOT NULL,
    course      text        NOT NULL,
    code        text        NOT NULL,
    title       text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, course, code),
    FOREIGN KEY (tenant_id, course) REFERENCES courses (tenant_id, code)
);

-- Enrolments already made name courses that now must exist.
INSERT INTO courses (tenant_id, code, title)
SELECT DISTINCT tenant_id, course, course FROM enrolments
ON CONFLICT DO NOTHING;

-- 'auto': enrolling invites at once; 'manual': enrol first, invite later.
ALTER TABLE tenants ADD COLUMN invite_policy text NOT NULL DEFAULT 'auto';
ALTER TABLE imports ADD COLUMN invite_policy text NOT NULL DEFAULT 'auto';

ALTER TABLE enrolments ADD COLUMN failed_at timestamptz;  -- the invitation could not be delivered
ALTER TABLE enrolments ADD COLUMN cancelled_at timestamptz;
CREATE INDEX enrolments_tenant_created ON enrolments (tenant_id, created_at, id);

-- People known to have an account in a tenant (learnt from RegistrationCompleted): a new
-- enrolment of theirs is active at once instead of inviting them again.
CREATE TABLE accounts (
    tenant_id   text NOT NULL,
    email       text NOT NULL,
    account_id  text NOT NULL,
    PRIMARY KEY (tenant_id, email)
);

-- Set when an admin asked for the invitation of a person enrolled without one.
ALTER TABLE enrolments ADD COLUMN invitation_requested_at timestamptz;
