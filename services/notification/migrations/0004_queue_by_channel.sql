-- The sender takes each channel's messages on their own (a channel may be slowed down while
-- the other goes on): the queue's index names the channel, so looking for texts among a
-- large queue of emails costs one probe, not a walk through every email.
DROP INDEX messages_due;
CREATE INDEX messages_due ON messages (tenant_id, channel, next_attempt_at)
    WHERE status IN ('queued', 'retrying');
