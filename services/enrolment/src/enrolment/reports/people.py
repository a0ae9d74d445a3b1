"""What an account report says about each person, and its columns for each kind."""

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum


class ReportKind(StrEnum):
    INFO = "info"  # who, and how far each got: invited, registered, activated
    CREDENTIALS = "credentials"  # the username and where to sign in with it


@dataclass(frozen=True)
class ReportPerson:
    name: str
    external_id: str
    email: str
    username: str | None  # None until the person registered
    status: str
    invited_at: datetime | None
    registered_at: datetime | None
    activated_at: datetime | None


@dataclass(frozen=True)
class Column:
    key: str  # the CSV header, and the `ReportPerson` field (or `sign_in_url`)
    title: str  # the PDF header
    width_mm: float  # in the PDF (the widths of a kind fill a landscape A4 page)


SIGN_IN_URL = "sign_in_url"

COLUMNS: dict[ReportKind, tuple[Column, ...]] = {
    ReportKind.INFO: (
        Column("name", "Name", 56),
        Column("external_id", "External id", 30),
        Column("email", "Email", 62),
        Column("username", "Username", 38),
        Column("status", "Status", 31),
        Column("invited_at", "Invited", 20),
        Column("registered_at", "Registered", 20),
        Column("activated_at", "Activated", 20),
    ),
    ReportKind.CREDENTIALS: (
        Column("name", "Name", 58),
        Column("external_id", "External id", 32),
        Column("email", "Email", 64),
        Column("username", "Username", 48),
        Column(SIGN_IN_URL, "Sign-in address", 75),
    ),
}

TITLES = {ReportKind.INFO: "Account information", ReportKind.CREDENTIALS: "Account credentials"}


def values_of(
    person: ReportPerson, columns: tuple[Column, ...], sign_in_url: str | None
) -> list[object]:
    """The person's cells, in the order of `columns`."""
    return [
        sign_in_url if column.key == SIGN_IN_URL else getattr(person, column.key)
        for column in columns
    ]


def shown(value: object) -> str:
    """A cell as the PDF prints it: a time as its UTC date, nothing as a dash."""
    if value is None or value == "":
        return "—"
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d")
    return str(value)
