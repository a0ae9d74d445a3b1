-- One relay publishes at a time now, oldest row first: the per-key lookup is gone.
DROP INDEX IF EXISTS outbox_key_id;
