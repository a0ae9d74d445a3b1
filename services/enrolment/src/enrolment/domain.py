"""Enrolment rules: validating people, reading CSV rows, and how an enrolment's status moves.

No I/O here: everything takes values and returns values.
"""

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import get_args

from email_validator import EmailNotValidError, validate_email
from onboarding_contracts.events import Role

ROLES: tuple[str, ...] = get_args(Role)
REQUIRED_COLUMNS = ("email", "id", "name")
OPTIONAL_COLUMNS = ("role", "cohort", "phone", "channel")
MAX_NAME_LENGTH = 200


class EnrolmentStatus(StrEnum):
    ENROLLED = "enrolled"  # not invited yet
    INVITED = "invited"
    PENDING_ACTIVATION = "pending_activation"
    ACTIVE = "active"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


FINAL_STATUSES = frozenset({EnrolmentStatus.ACTIVE, EnrolmentStatus.CANCELLED})


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
    role: str = "learner"
    cohort: str | None = None
    phone: str | None = None
    channel: str = "email"


def normalise_email(raw: str) -> str:
    try:
        return validate_email(raw.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise InvalidEnrolment("email", f"invalid email address: {error}") from error


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
        role=clean_role,
        cohort=(cohort or "").strip() or None,
        phone=clean_phone,
        channel=clean_channel,
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


def read_csv(lines: Iterable[str]) -> Iterator[Row | RowError]:
    """Rows of an enrolment CSV, in order, each valid or with the reason it is not.

    The header names the columns (order free; `email,id,name` required). Line numbers are
    those a spreadsheet shows: the header is line 1. A person twice in one file is reported
    on the second occurrence. Works on a stream: one line in memory at a time.
    """
    numbered = _strip_bom(lines)
    reader = csv.reader(numbered)
    try:
        header = [column.strip().lower() for column in next(reader)]
    except StopIteration:
        raise InvalidCsv("the file is empty: expected a header row email,id,name") from None
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
    for line, values in enumerate(reader, start=2):
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
