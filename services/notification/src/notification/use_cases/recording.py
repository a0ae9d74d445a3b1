"""Recording how tries ended, in a short transaction of their own, with the events that
tell it: sent, failed, or deferred to the next attempt (failed once the retry policy gives
up)."""

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime

from onboarding_contracts import Envelope

from notification.domain.delivery import (
    Deferred,
    MessageStatus,
    Outcome,
    Rejected,
    RetryPolicy,
    Sent,
)
from notification.store import NotificationTransaction
from notification.store.messages import Message
from notification.use_cases.announcing import announcement


async def _record_not_sent(
    tx: NotificationTransaction,
    message: Message,
    outcome: Rejected | Deferred,
    *,
    now: datetime,
    retries: RetryPolicy,
    random: Callable[[], float],
) -> Message | None:
    """A try that did not send the message, as recorded; None when it was no longer this
    sender's to record (its lease ran out and it waits again, or it was recorded before)."""
    match outcome:
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
    return recorded


async def record_outcomes(
    tx: NotificationTransaction,
    ended: Sequence[tuple[Message, Outcome]],
    *,
    now: datetime,
    retries: RetryPolicy,
    random: Callable[[], float],
) -> list[Message]:
    """Record each try, and write the events of those recorded in one go; the messages
    recorded (those no longer this sender's are left out). The messages sent, most of them,
    are recorded in one statement."""
    sent = {
        message.id: (message, outcome.provider_id)
        for message, outcome in ended
        if isinstance(outcome, Sent)
    }
    taken = await tx.messages.record_sent_many(
        [(message_id, provider_id) for message_id, (_, provider_id) in sent.items()], now
    )
    # The rows as the statement left them, made from what this sender holds.
    recorded = [
        replace(
            message,
            status=MessageStatus.SENT,
            provider_id=provider_id,
            sent_at=now,
            last_error=None,
        )
        for message_id, (message, provider_id) in sent.items()
        if message_id in taken
    ]
    for message, outcome in ended:
        if isinstance(outcome, Sent):
            continue
        again = await _record_not_sent(
            tx, message, outcome, now=now, retries=retries, random=random
        )
        if again is not None:
            recorded.append(again)
    events: list[Envelope] = [announcement(m) for m in recorded]
    await tx.publish(events)
    return recorded
