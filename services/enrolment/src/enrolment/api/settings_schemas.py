"""Request and response bodies of a tenant's settings, bounded as the domain bounds them
(`domain/settings.py`): what the document calls valid is accepted."""

from typing import Annotated, Any

from onboarding_contracts.events import Activation, UsernameSource
from onboarding_contracts.events.enrolment import MAX_LINK_TTL_HOURS, MAX_RESENDS_LIMIT
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, Strict

from enrolment.api.schemas import NEVER_NULL, Out
from enrolment.domain.policy import InvitePolicy
from enrolment.domain.settings import (
    MAX_MESSAGE_INTRO_LENGTH,
    MAX_MESSAGES_PER_SECOND,
    MAX_REMINDER_AFTER_HOURS,
    MAX_REMINDERS_LIMIT,
    MAX_SENDER_NAME_LENGTH,
    MESSAGE_INTRO_PATTERN,
    SENDER_NAME_PATTERN,
)

_TTL_HOURS = Field(
    gt=0, le=MAX_LINK_TTL_HOURS, description="How long each link stays usable, in hours"
)
_MAX_RESENDS = Field(description="Resends an invitation may have (the next is refused)")
_SELF_SERVICE = Field(
    description="Whether a person may ask for a new link from the page of an expired or "
    "replaced one (it counts as a resend)"
)
_REMINDER_AFTER = Field(
    gt=0,
    le=MAX_REMINDER_AFTER_HOURS,
    description="Remind people this many hours after their last link (and last reminder), "
    "while they have not registered; null: no scheduled reminders",
)
_MAX_REMINDERS = Field(description="Scheduled reminders one person gets at most")


def _json_integer(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value


# Numbers and flags as JSON Schema has them: an integer is 7 or 7.0, never `true` nor "7";
# a number is never a flag or a string; a flag is `true` or `false`.
JsonNumber = Annotated[float, Strict()]
JsonBool = Annotated[bool, Strict()]
_JSON_INTEGER = BeforeValidator(_json_integer)
# (The bounds come before the validator, or the document would not show them as JSON
# Schema's minimum and maximum.)
ResendCount = Annotated[int, Strict(), Field(ge=0, le=MAX_RESENDS_LIMIT), _JSON_INTEGER]
ReminderCount = Annotated[int, Strict(), Field(ge=0, le=MAX_REMINDERS_LIMIT), _JSON_INTEGER]
_INVITE_POLICY = Field(
    description="auto: enrolling invites at once; manual: enrol first, invite later"
)
_ACTIVATION = Field(
    description="auto: an account is active once registered; admin: it waits "
    "(pending_activation) until an admin activates it"
)
_USERNAME_SOURCE = Field(
    description="chosen: people pick their username; email: their email is their username "
    "(the form has no username field)"
)

_SENDER_NAME = Field(
    max_length=MAX_SENDER_NAME_LENGTH,
    pattern=SENDER_NAME_PATTERN,
    description="The name the tenant's emails come from (their From); null: the platform's",
)
_MESSAGE_INTRO = Field(
    max_length=MAX_MESSAGE_INTRO_LENGTH,
    pattern=MESSAGE_INTRO_PATTERN,
    description="A short plain text the tenant's messages open with (an SMS leaves it out "
    "when it would not fit); null: none",
)
_MESSAGES_PER_SECOND = Field(
    gt=0,
    le=MAX_MESSAGES_PER_SECOND,
    description="How many of the tenant's messages are sent a second at most; null: the "
    "platform's default",
)


class SettingsOut(Out):
    invite_policy: Annotated[InvitePolicy, _INVITE_POLICY]
    invitation_ttl_hours: Annotated[float, _TTL_HOURS]
    max_resends: Annotated[int, _MAX_RESENDS, Field(ge=0, le=MAX_RESENDS_LIMIT)]
    self_service_resend: Annotated[bool, _SELF_SERVICE]
    reminder_after_hours: Annotated[float | None, _REMINDER_AFTER]
    max_reminders: Annotated[int, _MAX_REMINDERS, Field(ge=0, le=MAX_REMINDERS_LIMIT)]
    activation: Annotated[Activation, _ACTIVATION]
    username_source: Annotated[UsernameSource, _USERNAME_SOURCE]
    sender_name: Annotated[str | None, _SENDER_NAME]
    message_intro: Annotated[str | None, _MESSAGE_INTRO]
    messages_per_second: Annotated[float | None, _MESSAGES_PER_SECOND]


class SettingsIn(BaseModel):
    """The settings to change; a setting left out keeps its value."""

    model_config = ConfigDict(extra="forbid")

    invite_policy: Annotated[InvitePolicy | None, _INVITE_POLICY, NEVER_NULL] = None
    invitation_ttl_hours: Annotated[JsonNumber | None, _TTL_HOURS, NEVER_NULL] = None
    max_resends: Annotated[ResendCount | None, _MAX_RESENDS, NEVER_NULL] = None
    self_service_resend: Annotated[JsonBool | None, _SELF_SERVICE, NEVER_NULL] = None
    reminder_after_hours: Annotated[JsonNumber | None, _REMINDER_AFTER] = None
    max_reminders: Annotated[ReminderCount | None, _MAX_REMINDERS, NEVER_NULL] = None
    activation: Annotated[Activation | None, _ACTIVATION, NEVER_NULL] = None
    username_source: Annotated[UsernameSource | None, _USERNAME_SOURCE, NEVER_NULL] = None
    sender_name: Annotated[str | None, _SENDER_NAME] = None
    message_intro: Annotated[str | None, _MESSAGE_INTRO] = None
    messages_per_second: Annotated[JsonNumber | None, _MESSAGES_PER_SECOND] = None
