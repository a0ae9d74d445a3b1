"""What an SMS provider's status callback says became of a text, recorded once, with the
event that tells it: delivered, or failed / undelivered with the provider's error code."""

from datetime import datetime

from onboarding_kit.uow import UnitOfWork

from notification.domain.delivery import FINAL_SMS_STATUSES, MessageStatus
from notification.errors import StatusForUnknownMessage, StatusTooEarly
from notification.store import NotificationTransaction
from notification.use_cases.announcing import announcement


async def apply_sms_status(
    uow: UnitOfWork[NotificationTransaction],
    *,
    provider_id: str,
    status: str,
    error_code: str | None,
    at: datetime,
) -> MessageStatus | None:
    """The message's final status, when this callback gave it one; None for a status on
    the way (queued, sent, ...) or a repeat. Raises StatusTooEarly for a text whose sending
    is not recorded yet (the provider tries the callback again), StatusForUnknownMessage
    for a text this service never sent."""
    final = FINAL_SMS_STATUSES.get(status)
    async with uow() as tx:
        message = await tx.messages.by_provider_id(provider_id)
        if message is None:
            # The provider answers the send before it is recorded; a callback that quick
            # finds no message by its id yet.
            if await tx.messages.sending_any():
                raise StatusTooEarly(provider_id)
            raise StatusForUnknownMessage(provider_id)
        if final is None:
            return None
        error = f"the provider reports {status} (error {error_code})" if error_code else None
        recorded = await tx.messages.record_final_status(provider_id, final, error, at)
        if recorded is None:
            return None
        await tx.publish([announcement(recorded)])
        return final
