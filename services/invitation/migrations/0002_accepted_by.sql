-- The account a redeem was made for: the same registration retrying after a lost answer
-- gets its success again instead of "already used".
ALTER TABLE invitations ADD COLUMN accepted_by text;
