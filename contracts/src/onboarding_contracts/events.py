"""One model per event type.

Compatibility rule: a new schema version may add optional fields; it never removes, renames
or retypes one. `tests/test_schemas.py` enforces it against the committed JSON Schemas.
"""

import json
from typing import ClassVar, Literal

from pydantic import AwareDatetime, EmailStr, Field

from onboarding_contracts.envelope import Envelope, Payload

Role = Literal["learner", "mentor", "coordinator", "admin", "teacher", "staff"]
Channel = Literal["email", "sms"]


# --- enrolment ---------------------------------------------------------------------------


class EnrolmentCreatedData(Payload):
    enrolment_id: str
    email: EmailStr
    name: str
    external_id: str
    role: Role
    course: str
    cohort: str | None = None
    channel: Channel = "email"
    phone: str | None = None
    import_id: str | None = Field(
        default=None, description="Set when the row came from a CSV import"
    )
    invite: bool = Field(default=True, description="False when the tenant invites later by hand")


class EnrolmentCreated(Envelope):
    """A person was enrolled into a course. Subject: the enrolment id."""

    event_type: ClassVar[str] = "onboarding.enrolment.created"
    type: Literal["onboarding.enrolment.created"] = "onboarding.enrolment.created"
    data: EnrolmentCreatedData


class EnrolmentActivatedData(Payload):
    enrolment_id: str
    account_id: str
    email: EmailStr
    course: str
    cohort: str | None = None
    role: Role


class EnrolmentActivated(Envelope):
    """The person is registered and their course is open to them. Subject: the enrolment id.

    This is the event an LMS subscribes to in order to grant course access."""

    event_type: ClassVar[str] = "onboarding.enrolment.activated"
    type: Literal["onboarding.enrolment.activated"] = "onboarding.enrolment.activated"
    data: EnrolmentActivatedData


class InvitationRequestedData(Payload):
    enrolment_id: str
    email: EmailStr
    name: str
    course: str
    cohort: str | None = None
    channel: Channel = "email"
    phone: str | None = None


class InvitationRequested(Envelope):
    """An admin asked to invite an enrolled person (tenants that invite by hand).
    Subject: the enrolment id."""

    event_type: ClassVar[str] = "onboarding.enrolment.invitation_requested"
    type: Literal["onboarding.enrolment.invitation_requested"] = (
        "onboarding.enrolment.invitation_requested"
    )
    data: InvitationRequestedData


class EnrolmentCancelledData(Payload):
    enrolment_id: str
    email: EmailStr
    course: str


class EnrolmentCancelled(Envelope):
    """The enrolment was withdrawn; its invitation, if any, is revoked. Subject: the
    enrolment id."""

    event_type: ClassVar[str] = "onboarding.enrolment.cancelled"
    type: Literal["onboarding.enrolment.cancelled"] = "onboarding.enrolment.cancelled"
    data: EnrolmentCancelledData


# --- invitation --------------------------------------------------------------------------


class InvitationIssuedData(Payload):
    invitation_id: str
    enrolment_id: str
    email: EmailStr
    name: str
    course: str
    channel: Channel = "email"
    phone: str | None = None
    expires_at: AwareDatetime
    send_count: int = Field(ge=1, description="1 for the first link, 2 after one resend, ...")
    sealed_link: str = Field(
        description="The accept link, sealed with AES-256-GCM under a key only the invitation "
        "and notification services hold; opaque to every other subscriber"
    )


class InvitationIssued(Envelope):
    """A fresh single-use link exists; every earlier link of this invitation is dead.
    Subject: the invitation id."""

    event_type: ClassVar[str] = "onboarding.invitation.issued"
    type: Literal["onboarding.invitation.issued"] = "onboarding.invitation.issued"
    data: InvitationIssuedData


class InvitationAcceptedData(Payload):
    invitation_id: str
    enrolment_id: str
    accepted_at: AwareDatetime


class InvitationAccepted(Envelope):
    """The link was redeemed; the invitation can never be used again. Subject: invitation id."""

    event_type: ClassVar[str] = "onboarding.invitation.accepted"
    type: Literal["onboarding.invitation.accepted"] = "onboarding.invitation.accepted"
    data: InvitationAcceptedData


class InvitationRevokedData(Payload):
    invitation_id: str
    enrolment_id: str
    revoked_at: AwareDatetime


class InvitationRevoked(Envelope):
    """The invitation was withdrawn; its link no longer works. Subject: the invitation id."""

    event_type: ClassVar[str] = "onboarding.invitation.revoked"
    type: Literal["onboarding.invitation.revoked"] = "onboarding.invitation.revoked"
    data: InvitationRevokedData


# --- notification ------------------------------------------------------------------------


class NotificationSentData(Payload):
    notification_id: str
    invitation_id: str
    enrolment_id: str
    channel: Channel
    sent_at: AwareDatetime


class NotificationSent(Envelope):
    """The provider accepted the message (SMTP 250, SMS 2xx). Subject: the notification id."""

    event_type: ClassVar[str] = "onboarding.notification.sent"
    type: Literal["onboarding.notification.sent"] = "onboarding.notification.sent"
    data: NotificationSentData


class NotificationFailedData(Payload):
    notification_id: str
    invitation_id: str
    enrolment_id: str
    channel: Channel
    reason: str
    attempts: int = Field(ge=1)


class NotificationFailed(Envelope):
    """Delivery was given up after its attempts. Subject: the notification id."""

    event_type: ClassVar[str] = "onboarding.notification.failed"
    type: Literal["onboarding.notification.failed"] = "onboarding.notification.failed"
    data: NotificationFailedData


# --- registration ------------------------------------------------------------------------


class RegistrationCompletedData(Payload):
    account_id: str
    invitation_id: str
    enrolment_id: str
    email: EmailStr
    username: str
    first_name: str
    last_name: str


class RegistrationCompleted(Envelope):
    """A person redeemed their link and created an account. Subject: the account id."""

    event_type: ClassVar[str] = "onboarding.registration.completed"
    type: Literal["onboarding.registration.completed"] = "onboarding.registration.completed"
    data: RegistrationCompletedData


class AccountActivatedData(Payload):
    account_id: str
    enrolment_id: str
    email: EmailStr


class AccountActivated(Envelope):
    """The account may sign in. Subject: the account id."""

    event_type: ClassVar[str] = "onboarding.registration.account_activated"
    type: Literal["onboarding.registration.account_activated"] = (
        "onboarding.registration.account_activated"
    )
    data: AccountActivatedData


EVENT_TYPES: dict[str, type[Envelope]] = {
    model.event_type: model
    for model in (
        EnrolmentCreated,
        EnrolmentActivated,
        EnrolmentCancelled,
        InvitationRequested,
        InvitationIssued,
        InvitationAccepted,
        InvitationRevoked,
        NotificationSent,
        NotificationFailed,
        RegistrationCompleted,
        AccountActivated,
    )
}


class UnknownEventType(ValueError):
    pass


def parse_event(raw: bytes | str) -> Envelope:
    """Decode one event from its JSON form into its model.

    Raises `pydantic.ValidationError` for malformed input and `UnknownEventType` for a type
    this version of the contracts does not know (a consumer may choose to skip those)."""
    document = json.loads(raw)
    if not isinstance(document, dict):
        raise ValueError("an event must be a JSON object")
    event_type = document.get("type")
    model = EVENT_TYPES.get(event_type) if isinstance(event_type, str) else None
    if model is None:
        raise UnknownEventType(f"unknown event type: {event_type!r}")
    return model.model_validate(document)
