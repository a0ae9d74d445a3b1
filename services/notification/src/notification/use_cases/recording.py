"""Recording how a try ended, in a short transaction of its own, with the event that tells
it: sent, failed, or deferred to its next attempt (failed once the retry policy gives up)."""

from collections.abc import Callable
from datetime import datetime

from notification.domain.delivery import Deferred, Outcome, Rejected, RetryPolicy, Sent
from notification.store import NotificationTransaction
from notification.store.messages import Message
from notification.use_cases.announcing import announcement


async def record_outcome(
    tx: NotificationTransaction,
    message: Message,
    outcome: Outcome,
    *,
    now: datetime,
    retries: RetryPolicy,
    random: Callable[[], float],
) -> Message | None:
    """The message as recorded; None when it was no longer this sender's to record (its
    lease ran out and it waits again, or it was recorded before)."""
    match outcome:
        case Sent(provider_id=provider_id):
            recorded = await tx.messages.record_sent(message.id, provider_id, now)
        case Rejected(reason=reason):
            recorded = await tx.messages.record_failed(message.id, reason, now)
        case Deferred(reason=reason, retry_after=retry_after):
            next_attempt = retries.next_attempt(
                attempts=message.attempts,
                queued_at=message.created_at,
                now=now,
                retry_after=retry_after,
                random=random,
            )
            if next_attempt is None:
                gave_up = f"gave up after {message.attempts} attempts: {reason}"
                recorded = await tx.messages.record_failed(message.id, gave_up, now)
            else:
                recorded = await tx.messages.record_deferred(message.id, reason, next_attempt, now)
    if recorded is not None:
        await tx.publish([announcement(recorded)])
    return recorded
