-- The username each account signs in with (issue 12), as RegistrationCompleted carries it:
-- the account reports print it. Accounts learnt before this column have none.
ALTER TABLE accounts ADD COLUMN username text;
