"""Events the enrolment service emits. Subject: the enrolment id."""

from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from onboarding_contracts.email import BoundedEmailAddress
from onboarding_contracts.envelope import Envelope, Payload

Role = Literal["learner", "mentor", "coordinator", "admin", "teacher", "staff"]
Channel = Literal["email", "sms"]

# Limits on what a person's details may be, the same the enrolment API enforces: an event
# always fits the broker, and a consumer can size its columns.
Email = BoundedEmailAddress
PersonName = Annotated[str, Field(max_length=200)]
ExternalId = Annotated[str, Field(max_length=100)]
Phone = Annotated[str, Field(max_length=32)]
Code = Annotated[str, Field(max_length=200)]  # a course or cohort
Id = Annotated[str, Field(max_length=100)]
# A BCP 47 language tag as people's messages are written in ("en", "fr", "pt-BR"); a
# language without templates is written in English.
Locale = Annotated[str, Field(max_length=35, pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")]


# A link's lifetime, as a tenant may set it (seed 002: 24 hours by default).
DEFAULT_LINK_TTL_HOURS = 24.0
MAX_LINK_TTL_HOURS = 24.0 * 30
# Seed 002: "Admins can resend the invitation ... up to 3 times".
DEFAULT_MAX_RESENDS = 3
MAX_RESENDS_LIMIT = 10


# Seed 003: a tenant may approve each registered account by hand before it is active.
Activation = Literal["auto", "admin"]
# Seed 004: a tenant whose sign-in names are the organisation's email addresses.
UsernameSource = Literal["chosen", "email"]


class LinkPolicy(BaseModel):
    """The tenant's rules for the links of an invitation and the registration they lead to,
    as they were when it was asked for: the invitation service applies the policy each
    request brings (and hands it to registration with the link), so a tenant's change of
    settings reaches every later link without another service keeping a copy of them."""

    model_config = ConfigDict(extra="allow", frozen=True)

    ttl_hours: float = Field(
        default=DEFAULT_LINK_TTL_HOURS,
        gt=0,
        le=MAX_LINK_TTL_HOURS,
        description="How long each link stays usable",
    )
    max_resends: int = Field(
        default=DEFAULT_MAX_RESENDS,
        ge=0,
        le=MAX_RESENDS_LIMIT,
        description="How many times an admin (or the person) may have the link resent",
    )
    self_service_resend: bool = Field(
        default=False,
        description="Whether the person may ask for a new link from the page of an expired "
        "or replaced one",
    )
    activation: Activation = Field(
        default="auto",
        description="auto: the account is active once registered; admin: it waits "
        "(pending_activation) until an admin activates it",
    )
    username_source: UsernameSource = Field(
        default="chosen",
        description="chosen: the person picks a username; email: the username is their email",
    )


class EnrolmentEvent(Envelope):
    subject_field: ClassVar[str] = "enrolment_id"


class EnrolmentCreatedData(Payload):
    enrolment_id: Id
    email: Email
    name: PersonName
    external_id: ExternalId
    role: Role
    course: Code
    course_title: Annotated[str, Field(max_length=200)] | None = Field(
        default=None, description="The course's title, as people are shown it"
    )
    cohort: Code | None = None
    channel: Channel = "email"
    phone: Phone | None = None
    import_id: Id | None = Field(
        default=None, description="Set when the row came from a CSV import"
    )
    invite: bool = Field(default=True, description="False when the tenant invites later by hand")
    locale: Locale | None = Field(
        default=None, description="The language of the person's messages; absent: English"
    )
    link_policy: LinkPolicy | None = Field(
        default=None, description="The tenant's link rules; absent: the defaults"
    )


class EnrolmentCreated(EnrolmentEvent):
    """A person was enrolled into a course. Subject: the enrolment id."""

    type: Literal["onboarding.enrolment.created"]
    data: EnrolmentCreatedData


class EnrolmentActivatedData(Payload):
    enrolment_id: Id
    account_id: Id
    email: Email
    course: Code
    cohort: Code | None = None
    role: Role


class EnrolmentActivated(EnrolmentEvent):
    """The person is registered and their course is open to them. Subject: the enrolment id.

    This is the event an LMS subscribes to in order to grant course access."""

    type: Literal["onboarding.enrolment.activated"]
    data: EnrolmentActivatedData


class InvitationRequestedData(Payload):
    enrolment_id: Id
    email: Email
    name: PersonName
    course: Code
    course_title: Annotated[str, Field(max_length=200)] | None = Field(
        default=None, description="The course's title, as people are shown it"
    )
    cohort: Code | None = None
    channel: Channel = "email"
    phone: Phone | None = None
    locale: Locale | None = Field(
        default=None, description="The language of the person's messages; absent: English"
    )
    link_policy: LinkPolicy | None = Field(
        default=None, description="The tenant's link rules; absent: the defaults"
    )


class InvitationRequested(EnrolmentEvent):
    """An admin asked to invite an enrolled person (tenants that invite by hand).
    Subject: the enrolment id."""

    type: Literal["onboarding.enrolment.invitation_requested"]
    data: InvitationRequestedData


class CredentialsRequestedData(InvitationRequestedData):
    """The person's details, as for an invitation; `channel` is the one the admin chose for
    this message."""


class CredentialsRequested(EnrolmentEvent):
    """An admin created the account of an enrolled person who skips the sign-up form (seed
    003's "Credentials", seed 004's "Send Initial Invitation"): they get their sign-in name,
    which is their email address, and a single-use link to set their password. It replaces
    any invitation link they had. Subject: the enrolment id."""

    type: Literal["onboarding.enrolment.credentials_requested"]
    data: CredentialsRequestedData


class EnrolmentCancelledData(Payload):
    enrolment_id: Id
    email: Email
    course: Code


class EnrolmentCancelled(EnrolmentEvent):
    """The enrolment was withdrawn; its invitation, if any, is revoked. Subject: the
    enrolment id."""

    type: Literal["onboarding.enrolment.cancelled"]
    data: EnrolmentCancelledData


class ReminderRequestedData(Payload):
    enrolment_id: Id
    course: Code
    scheduled: bool = Field(
        default=False, description="True when the tenant's reminder schedule asked for it"
    )
    link_policy: LinkPolicy | None = Field(
        default=None, description="The tenant's link rules; absent: the defaults"
    )


class ReminderRequested(EnrolmentEvent):
    """Remind an invited person who has not registered yet: they get a fresh link with
    reminder wording (the earlier links die). Subject: the enrolment id."""

    type: Literal["onboarding.enrolment.reminder_requested"]
    data: ReminderRequestedData


class TenantEvent(Envelope):
    subject_field: ClassVar[str] = "tenant_id"


class MessagingSettingsChangedData(Payload):
    tenant_id: Id
    sender_name: Annotated[str, Field(max_length=100)] | None = Field(
        default=None, description="The From name of the tenant's emails; absent: the platform's"
    )
    message_intro: Annotated[str, Field(max_length=500)] | None = Field(
        default=None, description="A short text the tenant's messages open with"
    )
    messages_per_second: float | None = Field(
        default=None, gt=0, le=1000, description="The tenant's send rate; absent: the default"
    )


class MessagingSettingsChanged(TenantEvent):
    """A tenant changed how its messages are sent (sender name, intro, rate): every later
    message follows them. Carries all three, as they now are. Subject: the tenant id."""

    type: Literal["onboarding.enrolment.messaging_settings_changed"]
    data: MessagingSettingsChangedData


class ActivationApprovedData(Payload):
    enrolment_id: Id
    account_id: Id


class ActivationApproved(EnrolmentEvent):
    """An admin activated a registered account waiting for approval (tenants with
    `activation: admin`); the registration service activates it. Subject: the enrolment
    id."""

    type: Literal["onboarding.enrolment.activation_approved"]
    data: ActivationApprovedData
