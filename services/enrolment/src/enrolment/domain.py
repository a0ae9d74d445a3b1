"""Enrolment rules: validating people, reading CSV rows, and how an enrolment's status moves.

No I/O here: everything takes values and returns values.
"""

import base64
import csv
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, cast, get_args

from email_validator import EmailNotValidError, validate_email
from onboarding_contracts.events import Channel, Role

ROLES: tuple[str, ...] = get_args(Role)
REQUIRED_COLUMNS = ("email", "id", "name")
OPTIONAL_COLUMNS = ("role", "cohort", "phone", "channel")
MAX_NAME_LENGTH = 200


class InvitePolicy(StrEnum):
    AUTO = "auto"  # enrolling invites at once
    MANUAL = "manual"  # enrol first, invite later by hand


class EnrolmentStatus(StrEnum):
    ENROLLED = "enrolled"  # not invited yet
    INVITED = "invited"
    PENDING_ACTIVATION = "pending_activation"
    ACTIVE = "active"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


class InvalidEnrolment(ValueError):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


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


# The address syntax browsers accept (WHATWG HTML `input type=email`), with a dot in the
# domain. It decides plain ASCII addresses in about a microsecond; anything else (an
# internationalised address, or one it refuses) is judged by email-validator, which is
# complete but some twenty times slower: that matters at 100,000 rows.
_PLAIN_EMAIL = re.compile(
    r"[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@"
    r"[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
    r"(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)+"
)


def normalise_email(raw: str) -> str:
    candidate = raw.strip()
    if (
        candidate.isascii()
        and len(candidate) <= 254
        and _PLAIN_EMAIL.fullmatch(candidate)
        and ".." not in candidate
        and not candidate.startswith(".")
        and ".@" not in candidate
    ):
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


def validate_person(
    *,
    email: str,
    name: str,
    external_id: str | None,
    role: str | None = None,
    cohort: str | None = None,
    phone: str | None = None,
    channel: str | None = None,
) -> Person:
    if not email or not email.strip():
        raise InvalidEnrolment("email", "missing email")
    clean_name = " ".join((name or "").split())
    if not clean_name:
        raise InvalidEnrolment("name", "missing name")
    if len(clean_name) > MAX_NAME_LENGTH:
        raise InvalidEnrolment("name", f"name longer than {MAX_NAME_LENGTH} characters")
    clean_role = (role or "").strip().lower() or "learner"
    if clean_role not in ROLES:
        raise InvalidEnrolment("role", f"unknown role {role!r} (one of: {', '.join(ROLES)})")
    clean_channel = (channel or "").strip().lower() or "email"
    if clean_channel not in ("email", "sms"):
        raise InvalidEnrolment("channel", f"unknown channel {channel!r} (email or sms)")
    clean_phone = (phone or "").strip() or None
    if clean_channel == "sms" and clean_phone is None:
        raise InvalidEnrolment("phone", "a phone number is needed for the sms channel")
    return Person(
        email=normalise_email(email),
        name=clean_name,
        # Seed 001: "if this isn't relevant to you, just repeat the user name".
        external_id=(external_id or "").strip() or clean_name,
        role=cast(Role, clean_role),
        cohort=(cohort or "").strip() or None,
        phone=clean_phone,
        channel=cast(Channel, clean_channel),
    )


@dataclass(frozen=True)
class RowError:
    line: int
    field: str | None
    reason: str
    raw: str


@dataclass(frozen=True)
class Row:
    line: int
    person: Person


class InvalidCsv(ValueError):
    """The file as a whole cannot be read (no header, a required column missing)."""


def read_csv(lines: Iterable[str], header: list[str] | None = None) -> Iterator[Row | RowError]:
    """Rows of an enrolment CSV, in order, each valid or with the reason it is not.

    The header names the columns (order free; `email,id,name` required). Line numbers are
    those a spreadsheet shows: the header is line 1. A person twice in one file is reported
    on the second occurrence. Works on a stream: one line in memory at a time.

    With `header` given (manual entry: lines of `email,id,name`), there is no header row
    and the first line is line 1.
    """
    reader = csv.reader(_strip_bom(lines))
    if header is None:
        try:
            header = [column.strip().lower() for column in next(reader)]
        except StopIteration:
            raise InvalidCsv("the file is empty: expected a header row email,id,name") from None
        first_line = 2
    else:
        first_line = 1
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise InvalidCsv(
            f"missing column(s) {', '.join(missing)}: the header must name email, id and name"
        )
    index = {
        name: header.index(name)
        for name in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)
        if name in header
    }
    seen: dict[str, int] = {}
    # Rows are numbered as a spreadsheet shows them (header = 1), so a quoted value spanning
    # several physical lines still counts as one row.
    for line, values in _records(reader, first_line):
        if isinstance(values, str):
            yield RowError(line, None, values, "")
            return
        raw = ",".join(values)
        if not any(v.strip() for v in values):
            continue  # blank lines are not rows
        if len(values) > len(header):
            yield RowError(line, None, f"{len(values)} values for {len(header)} columns", raw)
            continue
        cell = {name: values[i] if i < len(values) else "" for name, i in index.items()}
        try:
            person = validate_person(
                email=cell["email"],
                name=cell["name"],
                external_id=cell["id"],
                role=cell.get("role"),
                cohort=cell.get("cohort"),
                phone=cell.get("phone"),
                channel=cell.get("channel"),
            )
        except InvalidEnrolment as error:
            yield RowError(line, error.field, error.reason, raw)
            continue
        if person.email in seen:
            yield RowError(
                line, "email", f"duplicate in this file (first on line {seen[person.email]})", raw
            )
            continue
        seen[person.email] = line
        yield Row(line, person)


def _records(reader: Any, first_line: int) -> Iterator[tuple[int, list[str] | str]]:
    """(line, values) of each record; a record the csv module cannot read (an unclosed quote
    swallowing the rest of the file, say) ends the file with (line, the reason)."""
    line = first_line - 1
    try:
        for line, values in enumerate(reader, start=first_line):
            yield line, values
    except csv.Error as error:
        yield line + 1, f"the file cannot be read from this line on: {error}"


def _strip_bom(lines: Iterable[str]) -> Iterator[str]:
    first = True
    for line in lines:
        if first:
            line = line.removeprefix("\ufeff")
            first = False
        yield line


def import_status(enrolled: int, failed: int) -> str:
    if failed == 0:
        return "completed"
    return "completed_with_errors" if enrolled else "failed"


# --- how events move an enrolment --------------------------------------------------------


def status_after_invitation_issued(current: EnrolmentStatus) -> EnrolmentStatus:
    """A (re)sent invitation makes an enrolled or expired person invited; nothing else moves."""
    if current in (EnrolmentStatus.ENROLLED, EnrolmentStatus.EXPIRED):
        return EnrolmentStatus.INVITED
    return current


def status_after_account_activated(current: EnrolmentStatus) -> EnrolmentStatus:
    if current is EnrolmentStatus.CANCELLED:
        return current
    return EnrolmentStatus.ACTIVE


def can_invite(status: EnrolmentStatus) -> str | None:
    """None when an admin may invite this enrolment now, else why not."""
    if status is EnrolmentStatus.ENROLLED:
        return None
    return f"the enrolment is {status.value}: only enrolled people who were not invited can be"


def can_cancel(status: EnrolmentStatus) -> str | None:
    if status is EnrolmentStatus.CANCELLED:
        return "the enrolment is already cancelled"
    return None


EDITABLE_FIELDS = ("name", "external_id", "phone", "role", "cohort")


def validate_changes(changes: dict[str, str | None]) -> dict[str, str | None]:
    """The fields of a PATCH, validated; the email can never change (seed 001: enrol the new
    address instead)."""
    if "email" in changes:
        raise InvalidEnrolment(
            "email", "an enrolment's email cannot be changed: enrol the new address instead"
        )
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise InvalidEnrolment(
            sorted(unknown)[0], f"not an editable field (editable: {', '.join(EDITABLE_FIELDS)})"
        )
    clean: dict[str, str | None] = {}
    if "name" in changes:
        name = " ".join((changes["name"] or "").split())
        if not name:
            raise InvalidEnrolment("name", "missing name")
        if len(name) > MAX_NAME_LENGTH:
            raise InvalidEnrolment("name", f"name longer than {MAX_NAME_LENGTH} characters")
        clean["name"] = name
    if "external_id" in changes:
        external_id = (changes["external_id"] or "").strip()
        if not external_id:
            raise InvalidEnrolment("external_id", "missing external id")
        clean["external_id"] = external_id
    if "role" in changes:
        role = (changes["role"] or "").strip().lower()
        if role not in ROLES:
            raise InvalidEnrolment(
                "role", f"unknown role {changes['role']!r} (one of: {', '.join(ROLES)})"
            )
        clean["role"] = role
    for optional in ("phone", "cohort"):
        if optional in changes:
            clean[optional] = (changes[optional] or "").strip() or None
    return clean


# --- exports -----------------------------------------------------------------------------

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> str:
    """A cell a spreadsheet will show as text: one starting like a formula gets a leading
    apostrophe (OWASP's advice against CSV injection)."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(_FORMULA_START) else text


# --- pagination --------------------------------------------------------------------------


def encode_cursor(created_at: str, enrolment_id: str) -> str:
    raw = json.dumps([created_at, enrolment_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created_at, enrolment_id = json.loads(raw)
        if not isinstance(created_at, str) or not isinstance(enrolment_id, str):
            raise TypeError("not a pair of strings")
        return datetime.fromisoformat(created_at), enrolment_id
    except (ValueError, TypeError) as error:
        raise InvalidEnrolment("cursor", "not a cursor this API returned") from error
