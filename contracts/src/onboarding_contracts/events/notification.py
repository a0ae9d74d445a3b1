"""Events the notification service emits: the truth about each message. Subject: the
notification id.

A message's events come in its order on one partition (keyed by the notification id):
`NotificationDeferred` for each temporary failure, then `NotificationSent` once the mail
server or the SMS provider took it, then (where the channel reports it, SMS)
`NotificationDelivered`, or `NotificationFailed` when it was given up."""

from typing import Annotated, ClassVar, Literal

from pydantic import AwareDatetime, Field

from onboarding_contracts.envelope import Envelope, Payload
from onboarding_contracts.events.enrolment import Channel

# What a message is: the first link, a resend, a reminder, credentials (a link that sets a
# password), or the welcome once the account may sign in.
MessageKind = Literal["invitation", "resend", "reminder", "credentials", "welcome"]
Reason = Annotated[str, Field(max_length=1000)]


class NotificationEvent(Envelope):
    subject_field: ClassVar[str] = "notification_id"


class AboutMessage(Payload):
    """What every notification event says of its message."""

    notification_id: str
    invitation_id: str = Field(
        description="The link the message carries; for a welcome, the invitation the account "
        "was made through"
    )
    enrolment_id: str
    channel: Channel
    kind: MessageKind = Field(
        default="invitation", description="Absent from events of before kinds: an invitation"
    )
    send_count: int | None = Field(
        default=None,
        ge=1,
        description="Which link of the invitation the message carries (InvitationIssued's "
        "send_count); absent for a welcome",
    )


class NotificationSentData(AboutMessage):
    sent_at: AwareDatetime
    attempts: int = Field(default=1, ge=1, description="Tries it took, this one included")
    provider_id: Annotated[str, Field(max_length=200)] | None = Field(
        default=None,
        description="The provider's id of the message (an SMS provider's message id), "
        "when it gives one",
    )


class NotificationSent(NotificationEvent):
    """The provider accepted the message (SMTP 250, SMS 2xx). Subject: the notification id."""

    type: Literal["onboarding.notification.sent"]
    data: NotificationSentData


class NotificationFailedData(AboutMessage):
    reason: Reason
    attempts: int = Field(ge=1)
    status: Literal["failed", "undelivered"] = Field(
        default="failed",
        description="failed: refused or given up before the provider took it, or reported "
        "failed by it; undelivered: the provider took it and could not deliver it",
    )
    failed_at: AwareDatetime | None = None


class NotificationFailed(NotificationEvent):
    """Delivery was given up for good. Subject: the notification id."""

    type: Literal["onboarding.notification.failed"]
    data: NotificationFailedData


class NotificationDeferredData(AboutMessage):
    reason: Reason
    attempts: int = Field(ge=1, description="Tries so far")
    next_attempt_at: AwareDatetime


class NotificationDeferred(NotificationEvent):
    """A try failed for a reason that passes (the server asked to try later, a timeout):
    the message will be tried again at `next_attempt_at`. Subject: the notification id."""

    type: Literal["onboarding.notification.deferred"]
    data: NotificationDeferredData


class NotificationDeliveredData(AboutMessage):
    delivered_at: AwareDatetime
    provider_id: Annotated[str, Field(max_length=200)] | None = None


class NotificationDelivered(NotificationEvent):
    """The provider reported the message delivered to the person's phone (SMS status
    callbacks). Subject: the notification id."""

    type: Literal["onboarding.notification.delivered"]
    data: NotificationDeliveredData


__all__ = [
    "MessageKind",
    "NotificationDeferred",
    "NotificationDeferredData",
    "NotificationDelivered",
    "NotificationDeliveredData",
    "NotificationFailed",
    "NotificationFailedData",
    "NotificationSent",
    "NotificationSentData",
]
