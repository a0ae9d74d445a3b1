-- Reservations a registration left behind (its redeem failed without a refusal, and the
-- person never came back) are released after a while, oldest first, by a periodic job.
CREATE INDEX accounts_reserved_since ON accounts (created_at) WHERE status = 'reserved';
