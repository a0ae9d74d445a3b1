"""Events the notification service emits: the truth about each message. Subject: the
notification id."""

from typing import ClassVar, Literal

from pydantic import AwareDatetime, Field

from onboarding_contracts.envelope import Envelope, Payload
from onboarding_contracts.events.enrolment import Channel


class NotificationEvent(Envelope):
    subject_field: ClassVar[str] = "notification_id"


class NotificationSentData(Payload):
    notification_id: str
    invitation_id: str
    enrolment_id: str
    channel: Channel
    sent_at: AwareDatetime


class NotificationSent(NotificationEvent):
    """The provider accepted the message (SMTP 250, SMS 2xx). Subject: the notification id."""

    type: Literal["onboarding.notification.sent"]
    data: NotificationSentData


class NotificationFailedData(Payload):
    notification_id: str
    invitation_id: str
    enrolment_id: str
    channel: Channel
    reason: str
    attempts: int = Field(ge=1)


class NotificationFailed(NotificationEvent):
    """Delivery was given up after its attempts. Subject: the notification id."""

    type: Literal["onboarding.notification.failed"]
    data: NotificationFailedData
