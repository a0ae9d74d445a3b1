"""Events the enrolment service emits. Subject: the enrolment id."""

from typing import Annotated, ClassVar, Literal

from pydantic import EmailStr, Field

from onboarding_contracts.envelope import Envelope, Payload

Role = Literal["learner", "mentor", "coordinator", "admin", "teacher", "staff"]
Channel = Literal["email", "sms"]

# Limits on what a person's details may be, the same the enrolment API enforces: an event
# always fits the broker, and a consumer can size its columns.
Email = Annotated[EmailStr, Field(max_length=254)]
PersonName = Annotated[str, Field(max_length=200)]
ExternalId = Annotated[str, Field(max_length=100)]
Phone = Annotated[str, Field(max_length=32)]
Code = Annotated[str, Field(max_length=200)]  # a course or cohort
Id = Annotated[str, Field(max_length=100)]


class EnrolmentEvent(Envelope):
    subject_field: ClassVar[str] = "enrolment_id"


class EnrolmentCreatedData(Payload):
    enrolment_id: Id
    email: Email
    name: PersonName
    external_id: ExternalId
    role: Role
    course: Code
    cohort: Code | None = None
    channel: Channel = "email"
    phone: Phone | None = None
    import_id: Id | None = Field(
        default=None, description="Set when the row came from a CSV import"
    )
    invite: bool = Field(default=True, description="False when the tenant invites later by hand")


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
    cohort: Code | None = None
    channel: Channel = "email"
    phone: Phone | None = None


class InvitationRequested(EnrolmentEvent):
    """An admin asked to invite an enrolled person (tenants that invite by hand).
    Subject: the enrolment id."""

    type: Literal["onboarding.enrolment.invitation_requested"]
    data: InvitationRequestedData


class EnrolmentCancelledData(Payload):
    enrolment_id: Id
    email: Email
    course: Code


class EnrolmentCancelled(EnrolmentEvent):
    """The enrolment was withdrawn; its invitation, if any, is revoked. Subject: the
    enrolment id."""

    type: Literal["onboarding.enrolment.cancelled"]
    data: EnrolmentCancelledData
