CREATE TABLE tenants (
    id            text        PRIMARY KEY,
    name          text        NOT NULL UNIQUE,
    api_key_hash  text        NOT NULL UNIQUE,
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE imports (
    id           text        PRIMARY KEY,
    tenant_id    text        NOT NULL REFERENCES tenants (id),
    course       text        NOT NULL,
    cohort       text,
    status       text        NOT NULL,
    total_rows   integer     NOT NULL DEFAULT 0,
    enrolled     integer     NOT NULL DEFAULT 0,
    failed       integer     NOT NULL DEFAULT 0,
    created_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz
);

CREATE TABLE import_errors (
    import_id  text    NOT NULL REFERENCES imports (id),
    line       integer NOT NULL,
    field      text,
    reason     text    NOT NULL,
    raw        text    NOT NULL,
    PRIMARY KEY (import_id, line)
);

CREATE TABLE enrolments (
    id             text        PRIMARY KEY,
    tenant_id      text        NOT NULL REFERENCES tenants (id),
    email          text        NOT NULL,
    name           text        NOT NULL,
    external_id    text        NOT NULL,
    role           text        NOT NULL,
    course         text        NOT NULL,
    cohort         text,
    channel        text        NOT NULL DEFAULT 'email',
    phone          text,
    status         text        NOT NULL,
    import_id      text        REFERENCES imports (id),
    invitation_id  text,
    account_id     text,
    invited_at     timestamptz,
    emailed_at     timestamptz,
    registered_at  timestamptz,
    activated_at   timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    -- One enrolment per person and course; emails are stored lower-cased.
    UNIQUE (tenant_id, course, email)
);
CREATE INDEX enrolments_tenant_status ON enrolments (tenant_id, status);
CREATE INDEX enrolments_import ON enrolments (import_id) WHERE import_id IS NOT NULL;
