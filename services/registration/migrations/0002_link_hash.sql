-- SHA-256 of the link a reservation was made with, so that the same registration sent again
-- after a lost answer finds its reservation (the link itself is never stored).
ALTER TABLE accounts ADD COLUMN link_hash bytea;
