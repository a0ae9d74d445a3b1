"""Request and response bodies of the enrolment API.

Request fields publish the domain's rules as far as JSON Schema can say them (lengths,
patterns, enums), from the domain's own constants: what the document calls valid is
accepted, except where a rule needs data (a course or cohort must exist).
"""

from datetime import datetime
from typing import Annotated, Any

from onboarding_contracts.events import Channel, Role
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, model_validator
from pydantic.config import JsonDict

from enrolment.domain.attributes import (
    FLAG_NAME_PATTERN,
    MAX_FILE_NUMBER_LENGTH,
    MAX_FLAGS,
    MAX_SECTION_LENGTH,
    MAX_SECTIONS,
    MAX_TAG_LENGTH,
    MAX_TAGS,
)
from enrolment.domain.invitations import InvitationStatus
from enrolment.domain.messages import MessageStatus
from enrolment.domain.people import PLAIN_EMAIL_PATTERN, Person, validate_person
from enrolment.domain.policy import InvitePolicy
from enrolment.domain.selection import PeopleSelection
from enrolment.domain.text import (
    CODE_PATTERN,
    LOCALE_PATTERN,
    MAX_CODE_LENGTH,
    MAX_EMAIL_LENGTH,
    MAX_EXTERNAL_ID_LENGTH,
    MAX_LOCALE_LENGTH,
    MAX_NAME_LENGTH,
    MAX_PHONE_LENGTH,
    NAME_PATTERN,
    NO_CONTROL_PATTERN,
)
from enrolment.errors import InvalidEnrolment

Code = Annotated[str, Field(min_length=1, max_length=MAX_CODE_LENGTH, pattern=CODE_PATTERN)]
Title = Annotated[str, Field(max_length=200, pattern=NO_CONTROL_PATTERN)]
Email = Annotated[
    str,
    BeforeValidator(lambda value: value.strip() if isinstance(value, str) else value),
    Field(
        max_length=MAX_EMAIL_LENGTH,
        pattern=PLAIN_EMAIL_PATTERN,
        description="An ASCII address (an international domain in its xn-- form)",
    ),
]
Name = Annotated[str, Field(max_length=MAX_NAME_LENGTH, pattern=NAME_PATTERN)]
EnrolmentId = Annotated[str, Field(min_length=1, max_length=100, pattern=NO_CONTROL_PATTERN)]
# Enrolments one request may name to activate (a bigger selection: by course or import).
MAX_ACTIVATE_IDS = 1000


def _folded(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


# Roles and channels are matched without regard to case or surrounding spaces.
RoleIn = Annotated[Role, BeforeValidator(_folded)]
ChannelIn = Annotated[Channel, BeforeValidator(_folded)]
ExternalId = Annotated[
    str, Field(max_length=MAX_EXTERNAL_ID_LENGTH, pattern=r"^[^\x00-\x1f\x7f]*\S[^\x00-\x1f\x7f]*$")
]
Phone = Annotated[
    str,
    Field(
        min_length=3,
        max_length=MAX_PHONE_LENGTH,
        pattern=r"^\+?[0-9][0-9 ().-]*[0-9]$",
        description="Digits, optionally a leading +, spaces, dots, dashes and brackets",
    ),
]

Locale = Annotated[
    str,
    Field(
        max_length=MAX_LOCALE_LENGTH,
        pattern=LOCALE_PATTERN,
        description="The language of the person's messages, a BCP 47 tag such as en, fr or "
        "pt-BR (stored with its language lower-cased); absent: English",
    ),
]


# The school's record of a person (seed 003), normalised by the domain: labels trimmed, blank
# ones dropped, each once.
MiddleName = Annotated[str, Field(max_length=MAX_NAME_LENGTH, pattern=NO_CONTROL_PATTERN)]
FileNumber = Annotated[
    str,
    Field(
        max_length=MAX_FILE_NUMBER_LENGTH,
        pattern=NO_CONTROL_PATTERN,
        description="The personal file number",
    ),
]
_LABEL_PATTERN = r"^[^\x00-\x1f\x7f;]*$"
Tag = Annotated[str, Field(max_length=MAX_TAG_LENGTH, pattern=_LABEL_PATTERN)]
Section = Annotated[str, Field(max_length=MAX_SECTION_LENGTH, pattern=_LABEL_PATTERN)]
FlagName = Annotated[str, Field(pattern=FLAG_NAME_PATTERN)]
Tags = Annotated[
    list[Tag], Field(max_length=MAX_TAGS, description="Free labels, each once; no `;` in one")
]
Sections = Annotated[list[Section], Field(max_length=MAX_SECTIONS, description="No `;` in one")]
FLAGS_DESCRIPTION = (
    "The tenant's own yes/no flags by name (lowercase letters, digits, underscores), such as "
    '{"inclusive": true, "individual": false}'
)


def _never_null_in_the_document(schema: dict[str, Any]) -> None:
    """A field that may be left out, but is never null: a null is refused by the domain
    with its reason, and the document says the field is a string."""
    branches = [b for b in schema.pop("anyOf", []) if b.get("type") != "null"]
    if len(branches) == 1:
        schema.update(branches[0])
    schema.pop("default", None)


NEVER_NULL = Field(json_schema_extra=_never_null_in_the_document)


class Out(BaseModel):
    """A response body, read from the attributes of a store row."""

    model_config = ConfigDict(from_attributes=True)


class CourseIn(BaseModel):
    code: Code
    title: Title | None = None


class CourseOut(Out):
    code: str
    title: str
    created_at: datetime


class CohortIn(BaseModel):
    course: Code
    code: Code
    title: Title | None = None


class CohortOut(CourseOut):
    course: str


class EnrolmentIn(BaseModel):
    model_config = ConfigDict(
        # JSON Schema's way of saying the sms channel needs a phone number.
        json_schema_extra={
            "if": {"properties": {"channel": {"const": "sms"}}, "required": ["channel"]},
            "then": {"required": ["phone"], "properties": {"phone": {"type": "string"}}},
        }
    )

    email: Email
    name: Name
    external_id: ExternalId | None = Field(default=None, description="The tenant's own id")
    role: RoleIn = "learner"
    course: Code
    cohort: Code | None = None
    phone: Phone | None = None
    channel: ChannelIn = "email"
    locale: Locale | None = None
    invite: InvitePolicy | None = Field(default=None, description="overrides the tenant policy")
    middle_name: MiddleName | None = None
    file_number: FileNumber | None = None
    tags: Tags | None = None
    flags: Annotated[dict[FlagName, StrictBool], Field(max_length=MAX_FLAGS)] | None = Field(
        default=None, description=FLAGS_DESCRIPTION
    )
    sections: Sections | None = None

    def person(self) -> Person:
        """The person to enrol, validated (422 naming the field otherwise)."""
        return validate_person(**self.model_dump(exclude={"course", "invite"}))


class EnrolmentChanges(BaseModel):
    """The fields to change; a field left out keeps its value, a null phone, cohort,
    locale, middle name or file number clears it. Tags and sections given replace those
    stored (null: none); flags given are merged into those stored, a null one removed. The
    email never changes."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[Name | None, NEVER_NULL] = None
    external_id: Annotated[ExternalId | None, NEVER_NULL] = None
    phone: Phone | None = None
    role: Annotated[RoleIn | None, NEVER_NULL] = None
    cohort: Code | None = None
    locale: Locale | None = None
    middle_name: MiddleName | None = None
    file_number: FileNumber | None = None
    tags: Tags | None = None
    flags: Annotated[
        Annotated[dict[FlagName, StrictBool | None], Field(max_length=MAX_FLAGS)] | None,
        NEVER_NULL,
    ] = Field(
        default=None,
        description=FLAGS_DESCRIPTION + "; merged into those stored, a null one removed",
    )
    sections: Sections | None = None

    @model_validator(mode="before")
    @classmethod
    def _never_the_email(cls, data: Any) -> Any:
        if isinstance(data, dict) and "email" in data:
            # Raised as is (not a ValueError): answered 422 with this reason, not pydantic's.
            raise InvalidEnrolment(
                "email", "an enrolment's email cannot be changed: enrol the new address instead"
            )
        return data


class EnrolmentOut(Out):
    id: str
    email: str
    name: str
    external_id: str
    role: str
    course: str
    cohort: str | None
    channel: str
    phone: str | None
    locale: str | None = Field(description="The language of the person's messages; null: English")
    middle_name: str | None
    file_number: str | None = Field(description="The personal file number")
    tags: list[str]
    flags: dict[str, bool] = Field(description="The tenant's own yes/no flags set, by name")
    sections: list[str]
    status: str
    failure_reason: str | None = Field(
        description="With status failed: why the last link could not be delivered"
    )
    import_id: str | None
    invitation_id: str | None
    account_id: str | None
    invited_at: datetime | None
    emailed_at: datetime | None
    registered_at: datetime | None
    activated_at: datetime | None
    cancelled_at: datetime | None
    reminder_requested_at: datetime | None
    created_at: datetime


class EnrolmentPage(Out):
    items: list[EnrolmentOut]
    next_cursor: str | None


def _names_one_of(fields: dict[str, str]) -> JsonDict:
    """JSON Schema's way of saying: at least one of these fields (of these types) is given."""
    return {
        "anyOf": [
            {"required": [name], "properties": {name: {"type": kind}}}
            for name, kind in fields.items()
        ]
    }


class SelectionIn(BaseModel):
    """Name at least one of course, cohort and import."""

    model_config = ConfigDict(
        json_schema_extra=_names_one_of(
            {"course": "string", "cohort": "string", "import_id": "string"}
        )
    )

    course: Code | None = None
    cohort: Code | None = None
    import_id: Code | None = None


class InvitedOut(BaseModel):
    requested: int = Field(description="Invitations asked for")
    activated: int = Field(
        description="People not invited, active at once: they have an account in the tenant"
    )


class PeopleIn(SelectionIn):
    """Whom a bulk action is about: a course, a cohort, an import, or enrolments by id;
    what is named together narrows the selection."""

    model_config = ConfigDict(
        json_schema_extra=_names_one_of(
            {"course": "string", "cohort": "string", "import_id": "string", "ids": "array"}
        )
    )

    ids: list[EnrolmentId] | None = Field(
        default=None, min_length=1, max_length=MAX_ACTIVATE_IDS, description="Enrolment ids"
    )

    def selection(self) -> PeopleSelection:
        return PeopleSelection(
            course=self.course,
            cohort=self.cohort,
            import_id=self.import_id,
            ids=tuple(self.ids) if self.ids is not None else None,
        )


class ActivateIn(PeopleIn):
    """Whom to activate: a course, a cohort, an import, or enrolments by id; what is named
    together narrows the selection. Only people waiting for approval are activated."""


class CredentialsIn(PeopleIn):
    """Whom to send credentials: a course, a cohort, an import, or enrolments by id; what
    is named together narrows the selection. Only people who have not registered get them."""

    channel: ChannelIn | None = Field(
        default=None, description="email or sms; absent: each person's own channel"
    )


class CredentialsOut(BaseModel):
    requested: int = Field(description="Credentials asked for")
    activated: int = Field(
        description="People who have an account in the tenant by now: active at once instead"
    )
    unreachable: int = Field(description="People selected for SMS who have no phone number")


class ActivatedOut(BaseModel):
    requested: int = Field(
        description="Activations asked for: the people selected who wait for approval"
    )


class RemindIn(BaseModel):
    """Whom to remind: a course, optionally one cohort or one import of it."""

    course: Code
    cohort: Code | None = None
    import_id: Code | None = None


class RemindedOut(BaseModel):
    requested: int = Field(description="Reminders asked for")
    skipped: int = Field(
        description="The others selected: registered, cancelled, never invited, or reminded "
        "less than an hour ago"
    )


class InvitationOut(Out):
    enrolment_id: str
    invitation_id: str
    email: str
    name: str
    course: str
    cohort: str | None
    import_id: str | None
    status: InvitationStatus
    send_count: int = Field(description="Links sent so far: the first, resends and reminders")
    resend_count: int
    reminder_count: int
    last_sent_at: datetime
    expires_at: datetime = Field(description="When the last link stops working")


class InvitationPage(Out):
    items: list[InvitationOut]
    next_cursor: str | None


class RowErrorOut(Out):
    line: int
    field: str | None
    reason: str
    raw: str


class ImportOut(Out):
    id: str
    course: str
    cohort: str | None
    invite_policy: str
    status: str
    total_rows: int
    enrolled: int
    failed: int
    errors: list[RowErrorOut] = Field(description="A page of the bad rows, in line order")
    next_errors_after: int | None = Field(
        default=None,
        description="Pass as `errors_after` for the next page of errors; null on the last",
    )


class FunnelOut(Out):
    """How far the people of a selection got; one person counts at every step they passed."""

    enrolled: int = Field(description="Everyone selected")
    invited: int = Field(description="Sent an invitation link")
    emailed: int = Field(description="Whose invitation reached them")
    registered: int = Field(description="Who created their account")
    pending_activation: int = Field(
        description="Registered, and waiting for an admin to activate their account"
    )
    active: int = Field(description="Whose course is open to them")
    expired: int = Field(description="Whose invitation expired unused")
    failed: int = Field(
        description="Who could not be reached: the message with their current link was given up"
    )
    cancelled: int = Field(description="Whose enrolment was withdrawn")


class NotificationOut(Out):
    """One message to the person, as the notification service reported it."""

    notification_id: str
    invitation_id: str
    kind: str = Field(description="invitation, resend, reminder, credentials or welcome")
    channel: str
    status: MessageStatus = Field(
        description="retrying (a try failed, another is due), sent, delivered (reported on "
        "the phone), failed or undelivered (given up)"
    )
    attempts: int
    provider_id: str | None = Field(description="The SMS provider's id of the message")
    last_error: str | None = Field(description="Why the last try failed, if one did")
    created_at: datetime = Field(description="When the first news of it was")
    sent_at: datetime | None
    delivered_at: datetime | None
    failed_at: datetime | None
    next_attempt_at: datetime | None = Field(description="While retrying: the next try")


class NotificationsOut(Out):
    items: list[NotificationOut] = Field(description="Oldest first")
