"""What a valid sign-up is: one rule per field, each with the reason a person reads.

Some rules depend on the invitation the form came with (the email address, the tenant's
username source): a sign-up is judged once the link has been judged, by `validate_sign_up`,
every problem at once. The JSON route's schema states the rules that need no context
(`api/schemas.py` takes the patterns and the numbers from here), so that a body its schema
admits is refused only for what a schema cannot say (a common password, a phone number
that does not exist). Patterns are searched, as JSON Schema's `pattern` is, and name every
character class outright, so that whoever checks a body against the schema judges it as
this module does."""

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial

from onboarding_contracts.events import UsernameSource
from onboarding_kit.errors import InvalidInput

from registration.domain.passwords import (
    MAX_PASSWORD,
    MIN_PASSWORD,
    PasswordPolicy,
    length_refusal,
    normalise_password,
)
from registration.domain.phones import MAX_PHONE, e164, phone_refusal
from registration.domain.text import WHITESPACE, clean_name
from registration.domain.usernames import (
    USERNAME_PATTERN,
    USERNAME_RULE,
    username_of,
    username_refusal,
)

__all__ = [
    "MAX_NAME",
    "MAX_PASSWORD",
    "MAX_PHONE",
    "MIN_PASSWORD",
    "NAME_PATTERN",
    "REFUSALS",
    "TOKEN_PATTERN",
    "USERNAME_PATTERN",
    "USERNAME_RULE",
    "WHITESPACE",
    "LinkTerms",
    "SignUp",
    "SignUpForm",
    "clean_name",
    "validate_sign_up",
]

MAX_NAME = 100  # once whitespace is collapsed; the JSON route counts it as sent
TOKEN_PATTERN = rf"[^{WHITESPACE}]"
NAME_PATTERN = rf"[^{WHITESPACE}\x00-\x1f\x7f-\x9f]"  # not only whitespace and controls


@dataclass(frozen=True)
class SignUpForm:
    """A sign-up as it was sent, field by field (a form's missing field is empty)."""

    token: str
    first_name: str
    last_name: str
    password: str
    username: str = ""  # none when the username is the email address
    middle_name: str = ""
    phone: str = ""


@dataclass(frozen=True)
class LinkTerms:
    """What the invitation says about its sign-up: whose address it went to, and where
    the username comes from."""

    email: str
    username_source: UsernameSource = "chosen"


@dataclass(frozen=True)
class SignUp:
    """A sign-up that follows every rule, cleaned: what the account is made of."""

    token: str
    first_name: str
    last_name: str
    username: str
    password: str  # NFKC-normalised
    middle_name: str | None = None
    phone: str | None = None  # E.164


def _token_refusal(token: str) -> str | None:
    if not re.search(TOKEN_PATTERN, token):
        return "the invitation link is incomplete"
    return None


def _name_refusal(name: str, *, missing: str | None) -> str | None:
    """Why a name is refused; `missing` is None for a name one may leave out."""
    if not re.search(NAME_PATTERN, name):
        return missing
    if len(clean_name(name)) > MAX_NAME:
        return f"at most {MAX_NAME} characters"
    return None


def _password_length_refusal(password: str) -> str | None:
    return length_refusal(normalise_password(password))


# Why each field's value is refused, without knowing whose sign-up it is; None when it is
# not. (The JSON schema's reasons come from here: see `api/schemas.py`.)
REFUSALS: Mapping[str, Callable[[str], str | None]] = {
    "token": _token_refusal,
    "first_name": partial(_name_refusal, missing="enter your first name"),
    "middle_name": partial(_name_refusal, missing=None),
    "last_name": partial(_name_refusal, missing="enter your last name"),
    "phone": phone_refusal,
    "username": username_refusal,
    "password": _password_length_refusal,
}


def validate_sign_up(form: SignUpForm, link: LinkTerms, passwords: PasswordPolicy) -> SignUp:
    """The cleaned sign-up; otherwise every problem at once, keyed by field, so that a
    form can show each next to its input (raised as `InvalidInput`, in the order of the
    form). The password is never part of a reason."""
    errors = {
        field: reason
        for field, refusal in REFUSALS.items()
        if field not in ("username", "password") and (reason := refusal(getattr(form, field)))
    }
    if link.username_source == "chosen" and (reason := username_refusal(form.username)):
        errors["username"] = reason
    username = username_of(form.username, email=link.email, source=link.username_source)
    if reason := passwords.refusal(form.password, username=username, email=link.email):
        errors["password"] = reason
    if errors:
        raise InvalidInput(errors)
    return SignUp(
        token=form.token.strip(),
        first_name=clean_name(form.first_name),
        last_name=clean_name(form.last_name),
        username=username,
        password=normalise_password(form.password),
        middle_name=clean_name(form.middle_name) or None,
        phone=e164(form.phone),
    )
