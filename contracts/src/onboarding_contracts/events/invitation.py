"""Events the invitation service emits. Subject: the invitation id."""

from typing import Annotated, ClassVar, Literal

from pydantic import AwareDatetime, Field

from onboarding_contracts.envelope import Envelope, Payload
from onboarding_contracts.events.enrolment import (
    Channel,
    Code,
    Email,
    Id,
    Locale,
    PersonName,
    Phone,
)

# Why a link was sent: the first one, a resend (an admin's, or the person's own request),
# a reminder, or credentials (an admin made the account: the link sets its password). The
# message's wording follows it.
SendReason = Literal["invitation", "resend", "reminder", "credentials"]
# What a link leads to: the sign-up form, or (credentials) only the password to set.
LinkPurpose = Literal["sign_up", "set_password"]


class InvitationEvent(Envelope):
    subject_field: ClassVar[str] = "invitation_id"


class InvitationIssuedData(Payload):
    invitation_id: Id
    enrolment_id: Id
    email: Email
    name: PersonName
    course: Code
    channel: Channel = "email"
    phone: Phone | None = None
    expires_at: AwareDatetime
    send_count: int = Field(
        ge=1, description="Links sent so far, this one included: 1 for the first link"
    )
    reason: SendReason = Field(
        default="invitation",
        description="invitation (the first link), resend, reminder, or credentials; each "
        "but the first replaces every earlier link",
    )
    purpose: LinkPurpose = Field(
        default="sign_up",
        description="sign_up: the link opens the sign-up form; set_password: the account's "
        "sign-in name is fixed (`username`) and the link only sets its password",
    )
    username: Annotated[str, Field(max_length=254)] | None = Field(
        default=None,
        description="The sign-in name, when it is known before the person signs up (the "
        "tenant's usernames are email addresses, or credentials were sent)",
    )
    resend_count: int = Field(default=0, ge=0, description="Resends so far, this one included")
    reminder_count: int = Field(default=0, ge=0, description="Reminders so far, this one included")
    locale: Locale | None = Field(
        default=None, description="The language of the person's messages; absent: English"
    )
    course_title: Annotated[str, Field(max_length=200)] | None = Field(
        default=None, description="The course's title, as people are shown it"
    )
    requested_at: AwareDatetime | None = Field(
        default=None,
        description="When this link was asked for: the enrolment, the resend, the reminder "
        "or the credentials (the time of the event or request that caused it)",
    )
    sealed_link: str = Field(
        description="The accept link, sealed with AES-256-GCM under a key only the invitation "
        "and notification services hold, bound to the tenant, the invitation, the send count "
        "and the recipient (see `sealed_link_context`); opaque to every other subscriber"
    )


def sealed_link_context(
    *, tenant_id: str, invitation_id: str, send_count: int, email: str, phone: str | None
) -> str:
    """What a sealed accept link is bound to (its associated data). Copied into an event for
    another tenant, invitation, send or recipient, it does not open."""
    return "\x1f".join(
        ("accept-link", tenant_id, invitation_id, str(send_count), email, phone or "")
    )


def link_context_of(event: "InvitationIssued") -> str:
    data = event.data
    return sealed_link_context(
        tenant_id=event.tenant_id,
        invitation_id=data.invitation_id,
        send_count=data.send_count,
        email=str(data.email),
        phone=data.phone,
    )


class InvitationIssued(InvitationEvent):
    """A fresh single-use link exists; every earlier link of this invitation is dead.
    Subject: the invitation id."""

    type: Literal["onboarding.invitation.issued"]
    data: InvitationIssuedData


class InvitationExpiredData(Payload):
    invitation_id: str
    enrolment_id: str
    send_count: int = Field(ge=1, description="The link that expired (see InvitationIssued)")
    expired_at: AwareDatetime


class InvitationExpired(InvitationEvent):
    """The invitation's link passed its lifetime unused; a resend or a reminder can still
    bring a new one. Subject: the invitation id."""

    type: Literal["onboarding.invitation.expired"]
    data: InvitationExpiredData


class InvitationAcceptedData(Payload):
    invitation_id: str
    enrolment_id: str
    accepted_at: AwareDatetime


class InvitationAccepted(InvitationEvent):
    """The link was redeemed; the invitation can never be used again. Subject: invitation id."""

    type: Literal["onboarding.invitation.accepted"]
    data: InvitationAcceptedData


class InvitationRevokedData(Payload):
    invitation_id: str
    enrolment_id: str
    revoked_at: AwareDatetime


class InvitationRevoked(InvitationEvent):
    """The invitation was withdrawn; its link no longer works. Subject: the invitation id."""

    type: Literal["onboarding.invitation.revoked"]
    data: InvitationRevokedData
