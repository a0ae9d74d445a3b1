-- Registration and accounts (issue 9): the course's title, shown on the registration page,
-- and the rest of the tenant's LinkPolicy the current link was sent under (whether an
-- admin activates the account; where the username comes from). Registration reads them
-- from the link's details; a person's own request for a new link keeps them.
ALTER TABLE invitations
    ADD COLUMN course_title    text,
    ADD COLUMN activation      text NOT NULL DEFAULT 'auto'
        CHECK (activation IN ('auto', 'admin')),
    ADD COLUMN username_source text NOT NULL DEFAULT 'chosen'
        CHECK (username_source IN ('chosen', 'email'));
