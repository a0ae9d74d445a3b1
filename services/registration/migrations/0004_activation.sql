-- Seed 003: a tenant may approve each account by hand. Such an account is complete (names,
-- password) but 'pending_activation' until an administrator's ActivationApproved arrives.
-- Seeds 002 and 003: a middle name and a contact phone number (E.164), both optional.
ALTER TABLE accounts
    ADD COLUMN middle_name text,
    ADD COLUMN phone       text,
    ADD CONSTRAINT accounts_status CHECK (status IN ('reserved', 'pending_activation', 'active'));

-- One complete account per invitation, whether it is active yet or not.
DROP INDEX accounts_one_active_per_invitation;
CREATE UNIQUE INDEX accounts_one_per_invitation ON accounts (invitation_id)
    WHERE status <> 'reserved';
