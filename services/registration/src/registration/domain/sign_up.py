"""What a valid sign-up form is: one rule per field, each with the reason a person reads.

The JSON route's schema states the same rules (`api/schemas.py` takes the patterns and the
numbers from here). Patterns are searched, as JSON Schema's `pattern` is, and name every
character class outright (no `\\s`, whose meaning differs between Python, Rust and
ECMAScript), so that whoever checks a body against the schema judges it as this module."""

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial

from onboarding_kit.errors import InvalidInput

MIN_PASSWORD = 10
MAX_PASSWORD = 256
MAX_NAME = 100  # once whitespace is collapsed; the JSON route counts it as sent
# What `str.split` and `str.strip` take for whitespace (`str.isspace`), as a class's body.
WHITESPACE = r"\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
TOKEN_PATTERN = rf"[^{WHITESPACE}]"
NAME_PATTERN = rf"[^{WHITESPACE}\x00-\x1f\x7f-\x9f]"  # not only whitespace and controls
USERNAME_PATTERN = (  # before trimming, in any case
    rf"^[{WHITESPACE}]*[A-Za-z0-9][A-Za-z0-9._-]{{2,31}}[{WHITESPACE}]*$"
)
USERNAME_RULE = (
    "3 to 32 characters: letters, digits, dots, dashes or underscores, "
    "starting with a letter or digit"
)
# Control characters in a name (a NUL, a line break) are taken for spaces: they would end
# up in emails and events, and PostgreSQL's text cannot hold a NUL.
_CONTROLS_AS_SPACES = {c: " " for c in (*range(0x20), *range(0x7F, 0xA0))}


@dataclass(frozen=True)
class SignUp:
    token: str
    first_name: str
    last_name: str
    username: str
    password: str


def clean_name(name: str) -> str:
    return " ".join(name.translate(_CONTROLS_AS_SPACES).split())


def _token_refusal(token: str) -> str | None:
    if not re.search(TOKEN_PATTERN, token):
        return "the invitation link is incomplete"
    return None


def _name_refusal(name: str, *, missing: str) -> str | None:
    if not re.search(NAME_PATTERN, name):
        return missing
    if len(clean_name(name)) > MAX_NAME:
        return f"at most {MAX_NAME} characters"
    return None


def _username_refusal(username: str) -> str | None:
    return None if re.search(USERNAME_PATTERN, username) else USERNAME_RULE


def _password_refusal(password: str) -> str | None:
    if len(password) < MIN_PASSWORD:
        return f"at least {MIN_PASSWORD} characters"
    if len(password) > MAX_PASSWORD:
        return f"at most {MAX_PASSWORD} characters"
    return None


# Why each field's value is refused; None when it is not.
REFUSALS: Mapping[str, Callable[[str], str | None]] = {
    "token": _token_refusal,
    "first_name": partial(_name_refusal, missing="enter your first name"),
    "last_name": partial(_name_refusal, missing="enter your last name"),
    "username": _username_refusal,
    "password": _password_refusal,
}


def validate_sign_up(
    *, token: str, first_name: str, last_name: str, username: str, password: str
) -> SignUp:
    """All problems at once, keyed by field, so a form can show each next to its input
    (raised as `InvalidInput`); the cleaned form otherwise."""
    given = {
        "token": token,
        "first_name": first_name,
        "last_name": last_name,
        "username": username,
        "password": password,
    }
    errors = {
        field: reason for field, refusal in REFUSALS.items() if (reason := refusal(given[field]))
    }
    if errors:
        raise InvalidInput(errors)
    return SignUp(
        token.strip(),
        clean_name(first_name),
        clean_name(last_name),
        username.strip().lower(),
        password,
    )
