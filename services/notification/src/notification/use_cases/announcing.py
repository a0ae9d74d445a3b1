"""The events that tell what became of a message, made from its row as it now stands."""

from onboarding_contracts import (
    Envelope,
    NotificationDeferred,
    NotificationDelivered,
    NotificationFailed,
    NotificationSent,
    Origin,
)
from onboarding_contracts.events import (
    NotificationDeferredData,
    NotificationDeliveredData,
    NotificationFailedData,
    NotificationSentData,
)

from notification.domain.delivery import MessageStatus
from notification.store.messages import Message
from notification.use_cases import SOURCE


def _origin(message: Message) -> Origin:
    return Origin(SOURCE, message.tenant_id, message.correlation_id, message.causation_id)


def _about(message: Message) -> dict[str, str | int]:
    return {
        "notification_id": message.id,
        "invitation_id": message.invitation_id,
        "enrolment_id": message.enrolment_id,
        "channel": message.channel,
        "kind": message.kind,
        **({} if message.send_count is None else {"send_count": message.send_count}),
    }


def announcement(message: Message) -> Envelope:
    """The event of the status `message` has just reached."""
    origin, about = _origin(message), _about(message)
    match message.status:
        case MessageStatus.SENT:
            assert message.sent_at is not None
            return NotificationSent.new(
                origin,
                NotificationSentData(
                    **about,
                    sent_at=message.sent_at,
                    attempts=max(message.attempts, 1),
                    provider_id=message.provider_id,
                ),
            )
        case MessageStatus.RETRYING:
            return NotificationDeferred.new(
                origin,
                NotificationDeferredData(
                    **about,
                    reason=_reason(message),
                    attempts=max(message.attempts, 1),
                    next_attempt_at=message.next_attempt_at,
                ),
            )
        case MessageStatus.DELIVERED:
            assert message.delivered_at is not None
            return NotificationDelivered.new(
                origin,
                NotificationDeliveredData(
                    **about, delivered_at=message.delivered_at, provider_id=message.provider_id
                ),
            )
        case MessageStatus.FAILED | MessageStatus.UNDELIVERED:
            return NotificationFailed.new(
                origin,
                NotificationFailedData(
                    **about,
                    reason=_reason(message),
                    attempts=max(message.attempts, 1),
                    status=message.status.value,
                    failed_at=message.failed_at,
                ),
            )
    raise ValueError(f"nothing is announced for a message {message.status.value}")


def _reason(message: Message) -> str:
    return (message.last_error or "no reason given")[:1000]
