"""Events the enrolment service emits. Subject: the enrolment id."""

from typing import ClassVar, Literal

from pydantic import EmailStr, Field

from onboarding_contracts.envelope import Envelope, Payload

Role = Literal["learner", "mentor", "coordinator", "admin", "teacher", "staff"]
Channel = Literal["email", "sms"]


class EnrolmentEvent(Envelope):
    subject_field: ClassVar[str] = "enrolment_id"


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


class EnrolmentCreated(EnrolmentEvent):
    """A person was enrolled into a course. Subject: the enrolment id."""

    type: Literal["onboarding.enrolment.created"]
    data: EnrolmentCreatedData


class EnrolmentActivatedData(Payload):
    enrolment_id: str
    account_id: str
    email: EmailStr
    course: str
    cohort: str | None = None
    role: Role


class EnrolmentActivated(EnrolmentEvent):
    """The person is registered and their course is open to them. Subject: the enrolment id.

    This is the event an LMS subscribes to in order to grant course access."""

    type: Literal["onboarding.enrolment.activated"]
    data: EnrolmentActivatedData


class InvitationRequestedData(Payload):
    enrolment_id: str
    email: EmailStr
    name: str
    course: str
    cohort: str | None = None
    channel: Channel = "email"
    phone: str | None = None


class InvitationRequested(EnrolmentEvent):
    """An admin asked to invite an enrolled person (tenants that invite by hand).
    Subject: the enrolment id."""

    type: Literal["onboarding.enrolment.invitation_requested"]
    data: InvitationRequestedData


class EnrolmentCancelledData(Payload):
    enrolment_id: str
    email: EmailStr
    course: str


class EnrolmentCancelled(EnrolmentEvent):
    """The enrolment was withdrawn; its invitation, if any, is revoked. Subject: the
    enrolment id."""

    type: Literal["onboarding.enrolment.cancelled"]
    data: EnrolmentCancelledData
