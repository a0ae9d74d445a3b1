"""The enrolment API as `onboard` uses it: the requests it makes and the answers it reads.

Each answer model lists only the fields the CLI reads, with the types the API documents for
them; the client parses every answer into its model, so an API that drifted fails with a
message naming the field instead of a `KeyError` deep in the rendering. `ROUTES` is every
request the CLI makes; `cli/tests/test_cli_openapi_contract.py` checks each of them, and each
model, against the enrolment service's own OpenAPI document.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

InvitePolicy = Literal["auto", "manual"]
Activation = Literal["auto", "admin"]  # admin: registered accounts wait for an admin
UsernameSource = Literal["chosen", "email"]  # email: the username is the person's email
Channel = Literal["email", "sms"]  # how a person is sent their link
InvitationStatus = Literal["pending", "accepted", "expired", "revoked"]


class _Answer(BaseModel):
    # Fields the CLI does not read are ignored: the API may grow without breaking it.
    model_config = ConfigDict(extra="ignore", frozen=True)


# --- answers -----------------------------------------------------------------------------


class RowErrorOut(_Answer):
    line: int
    field: str | None
    reason: str
    raw: str


class ImportOut(_Answer):
    id: str
    course: str
    cohort: str | None
    invite_policy: str  # the policy the import ran with: "auto" or "manual"
    status: str  # processing, completed, completed_with_errors, failed
    total_rows: int
    enrolled: int
    failed: int
    errors: list[RowErrorOut]

    @property
    def manual(self) -> bool:
        """Whether people wait to be invited by hand."""
        return self.invite_policy == "manual"

    @property
    def done(self) -> bool:
        return self.status != "processing"


class FunnelOut(_Answer):
    enrolled: int
    invited: int
    emailed: int
    registered: int
    # Registered, waiting for an admin to activate them; 0 from a service older than the
    # tenants' activation setting, which never has anyone waiting.
    pending_activation: int = 0
    active: int
    expired: int
    failed: int
    cancelled: int


class EnrolmentOut(_Answer):
    id: str
    email: str
    name: str
    external_id: str
    role: str
    course: str
    cohort: str | None
    status: str
    import_id: str | None
    created_at: datetime


class EnrolmentPage(_Answer):
    items: list[EnrolmentOut]
    next_cursor: str | None


class InvitationOut(_Answer):
    enrolment_id: str
    invitation_id: str
    email: str
    name: str
    course: str
    cohort: str | None
    import_id: str | None
    status: InvitationStatus
    send_count: int  # links sent: the first, resends and reminders
    resend_count: int
    reminder_count: int
    last_sent_at: datetime
    expires_at: datetime


class InvitationPage(_Answer):
    items: list[InvitationOut]
    next_cursor: str | None


class RemindedOut(_Answer):
    requested: int
    skipped: int  # registered, cancelled, never invited, or reminded less than an hour ago


class SettingsBody(_Answer):
    invite_policy: InvitePolicy
    invitation_ttl_hours: float
    max_resends: int
    self_service_resend: bool
    reminder_after_hours: float | None  # None: no scheduled reminders
    max_reminders: int
    activation: Activation
    username_source: UsernameSource


class ActivatedOut(_Answer):
    requested: int  # activations asked for: the people selected waiting for approval


class CredentialsOut(_Answer):
    requested: int  # credentials asked for
    activated: int  # people with an account in the tenant by now: active at once instead
    unreachable: int  # people selected for SMS who have no phone number


class FieldProblem(_Answer):
    field: str | None = None
    reason: str


class Problem(_Answer):
    """An error answer, RFC 9457 problem details (`application/problem+json`)."""

    type: str = "about:blank"
    title: str | None = None
    status: int | None = None
    detail: str | None = None
    errors: list[FieldProblem] = []


# --- query strings -----------------------------------------------------------------------


class Query(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    def params(self) -> dict[str, str | int]:
        """The query string: unset and empty values are left out."""
        return {
            key: value for key, value in self.model_dump(exclude_none=True).items() if value != ""
        }


# The API's own limits (its OpenAPI document; the contract test keeps these in step).
CODE_PATTERN = r"^[^\x00-\x20\x7f]([^\x00-\x1f\x7f]*[^\x00-\x20\x7f])?$"
NO_CONTROL_PATTERN = r"^[^\x00-\x1f\x7f]*$"


def _blank_is_unset(value: object) -> object:
    return None if value == "" else value


Code = Annotated[str, Field(min_length=1, max_length=200, pattern=CODE_PATTERN)]
OptionalCode = Annotated[Code | None, BeforeValidator(_blank_is_unset)]
Filter = Annotated[str, Field(max_length=200, pattern=NO_CONTROL_PATTERN)]
Cursor = Annotated[str, Field(max_length=1000, pattern=r"^[A-Za-z0-9_-]+$")]


Email = Annotated[str, Field(max_length=254, pattern=NO_CONTROL_PATTERN)]
EntityId = Annotated[str, Field(max_length=100, pattern=NO_CONTROL_PATTERN)]


class ImportQuery(Query):
    course: Code
    cohort: OptionalCode = None
    invite: InvitePolicy | None = None


class FunnelQuery(Query):
    course: Filter | None = None
    cohort: Filter | None = None
    import_id: Filter | None = None


class SelectionQuery(FunnelQuery):
    """Which enrolments: the filters `GET /v1/enrolments` and its CSV export share."""

    status: Filter | None = None
    q: Filter | None = None


class PageQuery(SelectionQuery):
    limit: Annotated[int, Field(ge=1, le=1000)] | None = None
    cursor: Cursor | None = None


class InvitationQuery(Query):
    """Which invitations, and a page of them."""

    status: InvitationStatus | None = None
    course: Filter | None = None
    cohort: Filter | None = None
    import_id: Filter | None = None
    email: Email | None = None
    limit: Annotated[int, Field(ge=1, le=1000)] | None = None
    cursor: Cursor | None = None


# --- bodies and path parameters ----------------------------------------------------------


def _left_out_not_null(schema: dict[str, Any]) -> None:
    """A field sent only when set (`exclude_unset`), never as null: the document says so."""
    branches = [b for b in schema.pop("anyOf", []) if b.get("type") != "null"]
    if len(branches) == 1:
        schema.update(branches[0])
    schema.pop("default", None)


_NOT_NULL = Field(json_schema_extra=_left_out_not_null)
Hours = Annotated[float, Field(gt=0, le=720)]
Count = Annotated[int, Field(ge=0, le=10)]


class SettingsChanges(BaseModel):
    """The settings to change, sent with `exclude_unset`: the API keeps those left out. A
    null `reminder_after_hours` turns the scheduled reminders off."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    invite_policy: Annotated[InvitePolicy | None, _NOT_NULL] = None
    invitation_ttl_hours: Annotated[Hours | None, _NOT_NULL] = None
    max_resends: Annotated[Count | None, _NOT_NULL] = None
    self_service_resend: Annotated[bool | None, _NOT_NULL] = None
    reminder_after_hours: Hours | None = None
    max_reminders: Annotated[Count | None, _NOT_NULL] = None
    activation: Annotated[Activation | None, _NOT_NULL] = None
    username_source: Annotated[UsernameSource | None, _NOT_NULL] = None

    def body(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_unset=True)


class RemindIn(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    course: Code
    cohort: OptionalCode = None
    import_id: OptionalCode = None


def _names_one_of(fields: dict[str, str]) -> dict[str, Any]:
    """JSON Schema's way of saying: at least one of these fields (of these types) is given."""
    return {
        "anyOf": [
            {"required": [name], "properties": {name: {"type": kind}}}
            for name, kind in fields.items()
        ]
    }


MAX_PEOPLE_IDS = 1000  # enrolments one bulk request may name (a bigger selection: a group)
EnrolmentIds = Annotated[
    list[Annotated[EntityId, Field(min_length=1)]],
    Field(min_length=1, max_length=MAX_PEOPLE_IDS),
]


class _PeopleIn(BaseModel):
    """Whom a bulk action is about: a course, a cohort, an import, enrolments by id
    (together they narrow it); at least one, as the API's document says (and the validator
    below checks)."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra=_names_one_of(
            {"course": "string", "cohort": "string", "import_id": "string", "ids": "array"}
        ),
    )

    course: OptionalCode = None
    cohort: OptionalCode = None
    import_id: OptionalCode = None
    ids: EnrolmentIds | None = None

    @model_validator(mode="after")
    def _names_someone(self) -> Self:
        # The API refuses a bulk action on "everyone": said before anything is sent.
        named = (self.course, self.cohort, self.import_id, self.ids)
        if all(value is None for value in named):
            raise ValueError("name enrolment ids, a course, a cohort or an import")
        return self


class ActivateIn(_PeopleIn):
    """Whom to activate: only the people selected who wait for approval are."""


class CredentialsIn(_PeopleIn):
    """Whom to send their sign-in name and a link to set a password, and by which channel
    (None: each person's own); only the people selected who have not registered get them."""

    channel: Channel | None = None


class EnrolmentPath(BaseModel):
    """The `{enrolment_id}` of a route, checked before it is sent."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enrolment_id: EntityId


# --- the requests ------------------------------------------------------------------------


JSON = "application/json"


@dataclass(frozen=True)
class Route:
    """One request the CLI makes, as the OpenAPI document names it."""

    method: str
    path: str  # the path template, e.g. /v1/imports/{import_id}
    answer: type[BaseModel] | None = None  # the JSON answer's model; None: not JSON
    answer_media_type: str = "application/json"
    query: type[Query] | None = None
    body: type[BaseModel] | None = None  # a JSON body's model
    body_media_type: str | None = None
    path_params: type[BaseModel] | None = None  # checks the path parameters before sending

    def __str__(self) -> str:
        return f"{self.method} {self.path}"

    def url(self, **path_params: str) -> str:
        return self.path.format(**path_params)


IMPORT = Route("POST", "/v1/imports", ImportOut, query=ImportQuery, body_media_type="text/csv")
GET_IMPORT = Route("GET", "/v1/imports/{import_id}", ImportOut)
IMPORT_ERRORS_CSV = Route(  # the CLI prints its URL for the errors it does not show
    "GET", "/v1/imports/{import_id}/errors.csv", answer_media_type="text/csv"
)
FUNNEL = Route("GET", "/v1/funnel", FunnelOut, query=FunnelQuery)
ENROLMENTS = Route("GET", "/v1/enrolments", EnrolmentPage, query=PageQuery)
ENROLMENTS_CSV = Route(
    "GET", "/v1/enrolments.csv", answer_media_type="text/csv", query=SelectionQuery
)
GET_SETTINGS = Route("GET", "/v1/settings", SettingsBody)
PUT_SETTINGS = Route(
    "PUT", "/v1/settings", SettingsBody, body=SettingsChanges, body_media_type="application/json"
)
INVITATIONS = Route("GET", "/v1/invitations", InvitationPage, query=InvitationQuery)
RESEND = Route(
    "POST", "/v1/enrolments/{enrolment_id}/resend", InvitationOut, path_params=EnrolmentPath
)
REMIND_ONE = Route(
    "POST", "/v1/enrolments/{enrolment_id}/remind", EnrolmentOut, path_params=EnrolmentPath
)
REMIND = Route(
    "POST", "/v1/enrolments:remind", RemindedOut, body=RemindIn, body_media_type="application/json"
)
ACTIVATE_ONE = Route(
    "POST", "/v1/enrolments/{enrolment_id}/activate", EnrolmentOut, path_params=EnrolmentPath
)
ACTIVATE = Route(
    "POST", "/v1/enrolments:activate", ActivatedOut, body=ActivateIn, body_media_type=JSON
)
CREDENTIALS = Route(
    "POST", "/v1/enrolments:credentials", CredentialsOut, body=CredentialsIn, body_media_type=JSON
)

ROUTES: tuple[Route, ...] = (IMPORT, GET_IMPORT, IMPORT_ERRORS_CSV, FUNNEL, ENROLMENTS)
ROUTES += (ENROLMENTS_CSV, GET_SETTINGS, PUT_SETTINGS, INVITATIONS, RESEND, REMIND_ONE)
ROUTES += (REMIND, ACTIVATE_ONE, ACTIVATE, CREDENTIALS)
PROBLEM_MEDIA_TYPE = "application/problem+json"
