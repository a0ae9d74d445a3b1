"""A tenant's settings: its invite policy, the rules of its invitation links and of the
registration they lead to, its reminder schedule, and how its messages are sent. Each is
checked here, whoever changes it; the link rules travel to the invitation service in every
request for a link (`LinkPolicy`), and on to registration with the link, so neither keeps a
copy. The messaging settings travel to the notification service in MessagingSettingsChanged
whenever they change."""

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from datetime import timedelta
from typing import Any, get_args

from onboarding_contracts.events import Activation, LinkPolicy, UsernameSource
from onboarding_contracts.events.enrolment import (
    DEFAULT_LINK_TTL_HOURS,
    DEFAULT_MAX_RESENDS,
    MAX_LINK_TTL_HOURS,
    MAX_RESENDS_LIMIT,
)

from enrolment.domain.policy import InvitePolicy
from enrolment.errors import InvalidEnrolment

# Seed 001's schedule: off unless a tenant sets it; a few reminders at most.
DEFAULT_MAX_REMINDERS = 2
MAX_REMINDERS_LIMIT = 10
MAX_REMINDER_AFTER_HOURS = 24.0 * 30

MAX_SENDER_NAME_LENGTH = 100
MAX_MESSAGE_INTRO_LENGTH = 500
MAX_MESSAGES_PER_SECOND = 1000.0
# The sender name goes in a From header as its display name: no control character or line
# break (a header injection), no quote or angle bracket (an address of its own).
SENDER_NAME_PATTERN = r'^[^\x00-\x1f\x7f\x85\u2028\u2029<>"]*$'
_SENDER_NAME = re.compile(SENDER_NAME_PATTERN)
# The intro is plain text (escaped wherever it is shown): line breaks and tabs are fine.
MESSAGE_INTRO_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
_MESSAGE_INTRO = re.compile(MESSAGE_INTRO_PATTERN)
MESSAGING_SETTINGS = ("sender_name", "message_intro", "messages_per_second")


@dataclass(frozen=True)
class TenantSettings:
    invite_policy: InvitePolicy = InvitePolicy.AUTO
    invitation_ttl_hours: float = DEFAULT_LINK_TTL_HOURS
    max_resends: int = DEFAULT_MAX_RESENDS
    self_service_resend: bool = False
    reminder_after_hours: float | None = None  # None: no scheduled reminders
    max_reminders: int = DEFAULT_MAX_REMINDERS
    # Seed 003: "auto" activates an account once registered; "admin" waits for an admin.
    activation: Activation = "auto"
    # Seed 004: "email" for a tenant whose sign-in names are the organisation's addresses.
    username_source: UsernameSource = "chosen"
    # How its messages are sent; None: the platform's.
    sender_name: str | None = None  # the display name of its emails' From
    message_intro: str | None = None  # a short text its messages open with
    messages_per_second: float | None = None  # its send rate

    @property
    def messaging(self) -> dict[str, str | float | None]:
        """The settings of how its messages are sent, as MessagingSettingsChanged says them."""
        return {name: getattr(self, name) for name in MESSAGING_SETTINGS}

    @property
    def link_policy(self) -> LinkPolicy:
        """The rules of this tenant's links, as the invitation service applies them."""
        # Already checked (`changed`): built without validating again, once per request or
        # import, never per row.
        return LinkPolicy.model_construct(
            ttl_hours=self.invitation_ttl_hours,
            max_resends=self.max_resends,
            self_service_resend=self.self_service_resend,
            activation=self.activation,
            username_source=self.username_source,
        )

    @property
    def reminder_period(self) -> timedelta | None:
        """How long after the last link (and the last reminder) a scheduled reminder is due."""
        if self.reminder_after_hours is None:
            return None
        return timedelta(hours=self.reminder_after_hours)

    def changed(self, changes: Mapping[str, object]) -> "TenantSettings":
        """These settings with `changes` applied; a field left out keeps its value. Every
        changed value is checked (422 naming the field)."""
        unknown = set(changes) - SETTING_NAMES
        if unknown:
            raise InvalidEnrolment(sorted(unknown)[0], "not a setting")
        checked: dict[str, Any] = {name: _checked(name, value) for name, value in changes.items()}
        return replace(self, **checked)


SETTING_NAMES = frozenset(f.name for f in fields(TenantSettings))
# The settings that are one word of a few, and those words.
_CHOICES: dict[str, tuple[str, ...]] = {
    "invite_policy": tuple(InvitePolicy),
    "activation": get_args(Activation),
    "username_source": get_args(UsernameSource),
}


def _checked(name: str, value: object) -> object:
    if name in _CHOICES:
        choices = _CHOICES[name]
        if not isinstance(value, str) or value not in choices:
            raise InvalidEnrolment(name, " or ".join(choices))
        return InvitePolicy(value) if name == "invite_policy" else value
    if name == "self_service_resend":
        if not isinstance(value, bool):
            raise InvalidEnrolment(name, "true or false")
        return value
    if name == "invitation_ttl_hours":
        return _hours(name, value, MAX_LINK_TTL_HOURS)
    if name == "reminder_after_hours":
        return None if value is None else _hours(name, value, MAX_REMINDER_AFTER_HOURS)
    if name == "sender_name":
        return _text(
            name,
            value,
            MAX_SENDER_NAME_LENGTH,
            _SENDER_NAME,
            "a name without control characters, line breaks, quotes or angle brackets",
        )
    if name == "message_intro":
        return _text(
            name,
            value,
            MAX_MESSAGE_INTRO_LENGTH,
            _MESSAGE_INTRO,
            "plain text without control characters (line breaks and tabs are fine)",
        )
    if name == "messages_per_second":
        return None if value is None else _rate(name, value)
    limit = MAX_RESENDS_LIMIT if name == "max_resends" else MAX_REMINDERS_LIMIT
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= limit:
        raise InvalidEnrolment(name, f"a whole number from 0 to {limit}")
    return value


def _hours(name: str, value: object, most: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= most:
        raise InvalidEnrolment(name, f"a number of hours above 0, at most {most:g}")
    return float(value)


def _text(
    name: str, value: object, most: int, allowed: re.Pattern[str], refusal: str
) -> str | None:
    """A trimmed text, None when blank or null (the platform's)."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidEnrolment(name, "a text, or null")
    text = value.strip()
    if not allowed.fullmatch(text):
        raise InvalidEnrolment(name, refusal)
    if len(text) > most:
        raise InvalidEnrolment(name, f"longer than {most} characters")
    return text or None


def _rate(name: str, value: object) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not 0 < value <= MAX_MESSAGES_PER_SECOND
    ):
        raise InvalidEnrolment(name, f"a number above 0, at most {MAX_MESSAGES_PER_SECOND:g}")
    return float(value)
