-- Credentials (seed 003 option 2, seed 004): an admin makes the account of a person who
-- skips the sign-up form; their link only sets a password. Every row before this one led to
-- the sign-up form.
ALTER TABLE invitations
    ADD COLUMN purpose text NOT NULL DEFAULT 'sign_up'
        CHECK (purpose IN ('sign_up', 'set_password'));
