"""Usernames: the rule a chosen one follows, what it becomes once accepted, and where it
comes from when the tenant's sign-in names are the people's email addresses (seed 004).

The pattern is searched, as JSON Schema's `pattern` is, and names every character class
outright (see `sign_up`), so that the JSON route's schema judges a name as this module."""

import re
from typing import Literal

from onboarding_contracts.events import UsernameSource

from registration.domain.text import WHITESPACE

USERNAME_PATTERN = (  # before trimming, in any case
    rf"^[{WHITESPACE}]*[A-Za-z0-9][A-Za-z0-9._-]{{2,31}}[{WHITESPACE}]*$"
)
USERNAME_RULE = (
    "3 to 32 characters: letters, digits, dots, dashes or underscores, "
    "starting with a letter or digit"
)
MISSING_USERNAME = "choose a username"

Availability = Literal["available", "taken", "invalid"]


def username_refusal(username: str) -> str | None:
    """Why a chosen username is refused; None when it is not."""
    if not username.strip():
        return MISSING_USERNAME
    return None if re.search(USERNAME_PATTERN, username) else USERNAME_RULE


def normalise_username(username: str) -> str:
    """The name an accepted username is stored as: trimmed and lower-cased, so that "Ada"
    and "ada" are one name (the pattern admits ASCII only, whose lower case is plain)."""
    return username.strip().lower()


def username_of(chosen: str, *, email: str, source: UsernameSource) -> str:
    """The account's username: the one chosen, or the email address when the tenant's
    sign-in names are emails. A chosen one sent along then is ignored: the address on
    the invitation decides, never a form field a person could change."""
    if source == "email":
        return normalise_username(email)
    return normalise_username(chosen)
