"""Who may be enrolled: each rule about a person's details, once, for a new enrolment and
for a change to one."""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import cast, get_args

from email_validator import EmailNotValidError, validate_email
from onboarding_contracts.events import Channel, Role

from enrolment.domain.attributes import (
    NO_ATTRIBUTES,
    Attributes,
    clean_file_number,
    clean_flag_changes,
    clean_middle_name,
    clean_sections,
    clean_tags,
    validate_attributes,
)
from enrolment.domain.text import (
    LOCALE_PATTERN,
    MAX_CODE_LENGTH,
    MAX_EMAIL_LENGTH,
    MAX_EXTERNAL_ID_LENGTH,
    MAX_LOCALE_LENGTH,
    MAX_NAME_LENGTH,
    MAX_PHONE_LENGTH,
    refuse_control_characters,
    refuse_longer_than,
)
from enrolment.errors import InvalidEnrolment

ROLES: tuple[str, ...] = get_args(Role)
CHANNELS: tuple[str, ...] = get_args(Channel)
EDITABLE_FIELDS = (
    "name", "external_id", "phone", "role", "cohort", "locale",
    "middle_name", "file_number", "tags", "flags", "sections",
)  # fmt: skip


@dataclass(frozen=True)
class Person:
    """One person to enrol, validated and normalised."""

    email: str
    name: str
    external_id: str
    role: Role = "learner"
    cohort: str | None = None
    phone: str | None = None
    channel: Channel = "email"
    locale: str | None = None  # the language of their messages; None: English
    attributes: Attributes = NO_ATTRIBUTES  # the school's record of them (seed 003)


# What the events about an enrolment carry of the person: everything but the school's record
# of them (`attributes`), which stays in the enrolment service.
EVENT_FIELDS = tuple(name for name in Person.__dataclass_fields__ if name != "attributes")


# A plain ASCII address: a dot-atom mailbox (no leading, trailing or double dot) at a
# domain of letters, digits and hyphens with a dot in it. It decides such addresses in about
# a microsecond; anything else (an internationalised domain, or one it refuses) is judged by
# email-validator, which is complete but some twenty times slower: that matters at 100,000
# rows. The JSON API publishes (and enforces) this pattern for its `email` field.
_ATOM = r"[a-zA-Z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
PLAIN_EMAIL_PATTERN = rf"^{_ATOM}(?:\.{_ATOM})*@{_LABEL}(?:\.{_LABEL})+$"
_PLAIN_EMAIL = re.compile(PLAIN_EMAIL_PATTERN)


def normalise_email(raw: str) -> str:
    candidate = raw.strip()
    refuse_control_characters("email", candidate)
    if len(candidate) <= MAX_EMAIL_LENGTH and _PLAIN_EMAIL.fullmatch(candidate):
        return candidate.lower()
    try:
        checked = validate_email(candidate, check_deliverability=False)
    except EmailNotValidError as error:
        raise InvalidEnrolment("email", f"invalid email address: {error}") from error
    if checked.ascii_email is None:
        # A non-ASCII mailbox name needs SMTPUTF8 all the way to the recipient's server,
        # which the platform does not offer yet; a non-ASCII domain is fine (IDNA below).
        raise InvalidEnrolment(
            "email", "addresses with non-ASCII characters before the @ are not supported yet"
        )
    return checked.ascii_email.lower()


def clean_name(raw: str | None) -> str:
    """The name with its runs of whitespace collapsed; never empty, never too long."""
    refuse_control_characters("name", raw, in_name=True)
    name = " ".join((raw or "").split())
    if not name:
        raise InvalidEnrolment("name", "missing name")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidEnrolment("name", f"name longer than {MAX_NAME_LENGTH} characters")
    return name


def clean_role(raw: str | None) -> Role:
    refuse_control_characters("role", raw)
    role = (raw or "").strip().lower()
    if role not in ROLES:
        raise InvalidEnrolment("role", f"unknown role {raw!r} (one of: {', '.join(ROLES)})")
    return cast(Role, role)


def clean_channel(raw: str | None) -> Channel:
    refuse_control_characters("channel", raw)
    channel = (raw or "").strip().lower()
    if channel not in CHANNELS:
        raise InvalidEnrolment("channel", f"unknown channel {raw!r} (email or sms)")
    return cast(Channel, channel)


_LOCALE = re.compile(LOCALE_PATTERN)


def clean_locale(raw: str | None) -> str | None:
    """A language tag ("fr", "pt-BR") with its language lower-cased and the rest as given;
    None for a blank one."""
    refuse_control_characters("locale", raw)
    tag = (raw or "").strip()
    if not tag:
        return None
    if len(tag) > MAX_LOCALE_LENGTH or not _LOCALE.fullmatch(tag):
        raise InvalidEnrolment("locale", "not a language tag (such as en, fr or pt-BR)")
    language, dash, rest = tag.partition("-")
    return language.lower() + dash + rest


def optional_text(field: str, raw: str | None, limit: int) -> str | None:
    """A trimmed value, or None for a blank one; no control characters, not too long."""
    if not raw:
        return None
    refuse_control_characters(field, raw)
    value = (raw or "").strip() or None
    refuse_longer_than(field, value, limit)
    return value


def check_reachable(channel: Channel, phone: str | None) -> None:
    """An invitation by SMS needs somewhere to send it."""
    if channel == "sms" and phone is None:
        raise InvalidEnrolment("phone", "a phone number is needed for the sms channel")


def _given(raw: str | None) -> bool:
    return bool(raw and raw.strip())


def validate_person(
    *,
    email: str,
    name: str,
    external_id: str | None,
    role: str | None = None,
    cohort: str | None = None,
    phone: str | None = None,
    channel: str | None = None,
    locale: str | None = None,
    middle_name: object = None,
    file_number: object = None,
    tags: Iterable[object] | None = None,
    flags: object = None,
    sections: Iterable[object] | None = None,
) -> Person:
    if not _given(email):
        raise InvalidEnrolment("email", "missing email")
    person_name = clean_name(name)
    person_role: Role = clean_role(role) if _given(role) else "learner"
    person_channel: Channel = clean_channel(channel) if _given(channel) else "email"
    person_phone = optional_text("phone", phone, MAX_PHONE_LENGTH)
    check_reachable(person_channel, person_phone)
    return Person(
        email=normalise_email(email),
        name=person_name,
        # Seed 001: "if this isn't relevant to you, just repeat the user name".
        external_id=optional_text("external_id", external_id, MAX_EXTERNAL_ID_LENGTH)
        or person_name,
        role=person_role,
        cohort=optional_text("cohort", cohort, MAX_CODE_LENGTH),
        phone=person_phone,
        channel=person_channel,
        locale=clean_locale(locale),
        attributes=validate_attributes(
            middle_name=middle_name,
            file_number=file_number,
            tags=tags,
            flags=flags,
            sections=sections,
        ),
    )


def validate_changes(changes: Mapping[str, object]) -> dict[str, object]:
    """The fields of a change to an enrolment, validated; the email can never change (seed
    001: enrol the new address instead). Rules that need the stored enrolment (its course's
    cohorts, its channel) are checked against it by the caller."""
    if "email" in changes:
        raise InvalidEnrolment(
            "email", "an enrolment's email cannot be changed: enrol the new address instead"
        )
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise InvalidEnrolment(
            sorted(unknown)[0], f"not an editable field (editable: {', '.join(EDITABLE_FIELDS)})"
        )
    clean: dict[str, object] = _attribute_changes(changes)
    given = {field: _text(value) for field, value in changes.items() if field in _PERSON_FIELDS}
    if "name" in given:
        clean["name"] = clean_name(given["name"])
    if "external_id" in given:
        external_id = optional_text("external_id", given["external_id"], MAX_EXTERNAL_ID_LENGTH)
        if external_id is None:
            raise InvalidEnrolment("external_id", "missing external id")
        clean["external_id"] = external_id
    if "role" in given:
        clean["role"] = clean_role(given["role"])
    for optional, limit in (("phone", MAX_PHONE_LENGTH), ("cohort", MAX_CODE_LENGTH)):
        if optional in given:
            clean[optional] = optional_text(optional, given[optional], limit)
    if "locale" in given:
        clean["locale"] = clean_locale(given["locale"])
    return clean


_PERSON_FIELDS = ("name", "external_id", "phone", "role", "cohort", "locale")


def _attribute_changes(changes: Mapping[str, object]) -> dict[str, object]:
    """The school's record in a change: a middle name or file number set (null clears it),
    tags or sections replaced (null: none), flags merged (`FlagChanges`)."""
    clean: dict[str, object] = {}
    if "middle_name" in changes:
        clean["middle_name"] = clean_middle_name(changes["middle_name"])
    if "file_number" in changes:
        clean["file_number"] = clean_file_number(changes["file_number"])
    if "tags" in changes:
        clean["tags"] = clean_tags(_list_of(changes["tags"], "tags"))
    if "sections" in changes:
        clean["sections"] = clean_sections(_list_of(changes["sections"], "sections"))
    if "flags" in changes:
        clean["flags"] = clean_flag_changes(changes["flags"])
    return clean


def _list_of(value: object, field: str) -> list[object] | None:
    if value is None or isinstance(value, list | tuple):
        return None if value is None else list(value)
    raise InvalidEnrolment(field, "a list of texts")


def _text(value: object) -> str | None:
    return None if value is None else str(value)
