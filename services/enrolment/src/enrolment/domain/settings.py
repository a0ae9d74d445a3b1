"""A tenant's settings: its invite policy, the rules of its invitation links and of the
registration they lead to, and its reminder schedule. Each is checked here, whoever changes
it; the link rules travel to the invitation service in every request for a link
(`LinkPolicy`), and on to registration with the link, so neither keeps a copy."""

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
    limit = MAX_RESENDS_LIMIT if name == "max_resends" else MAX_REMINDERS_LIMIT
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= limit:
        raise InvalidEnrolment(name, f"a whole number from 0 to {limit}")
    return value


def _hours(name: str, value: object, most: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= most:
        raise InvalidEnrolment(name, f"a number of hours above 0, at most {most:g}")
    return float(value)
