"""CSV files the service hands out: what they hold, and cells a spreadsheet cannot run."""

import csv
import io
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Protocol

from enrolment.domain.attributes import (
    FLAG_COLUMN_PREFIX,
    LIST_SEPARATOR,
    flag_column,
    flag_of_column,
)
from enrolment.errors import InvalidEnrolment

# The columns of `GET /v1/enrolments.csv`, in order: a published format.
EXPORT_COLUMNS = (
    "id", "email", "name", "external_id", "role", "course", "cohort", "phone", "channel",
    "status", "import_id", "invited_at", "emailed_at", "registered_at", "activated_at",
    "created_at", "locale",
)  # fmt: skip
# The school's record of each person, named as an import takes it (so an export re-imports),
# then a `flag:<name>` column for each flag anyone exported has set.
ATTRIBUTE_EXPORT_COLUMNS = ("middle_name", "file_number", "tags", "sections")
_LIST_COLUMNS = frozenset({"tags", "sections"})
_KNOWN_COLUMNS = frozenset((*EXPORT_COLUMNS, *ATTRIBUTE_EXPORT_COLUMNS))
IMPORT_ERROR_COLUMNS = ("line", "column", "reason", "row")


def default_export_columns(flags: Iterable[str]) -> tuple[str, ...]:
    """Every column, the flags' (those of `flags`, by name) last."""
    return (*EXPORT_COLUMNS, *ATTRIBUTE_EXPORT_COLUMNS, *(flag_column(f) for f in sorted(flags)))


def chosen_export_columns(raw: str) -> tuple[str, ...]:
    """The columns named (comma-separated), in their order: any of the export's, or
    `flag:<name>` for any flag. An unknown one is refused, naming it."""
    columns = tuple(column.strip() for column in raw.split(","))
    for column in columns:
        if column.startswith(FLAG_COLUMN_PREFIX):
            flag_of_column(column)
        elif column not in _KNOWN_COLUMNS:
            shown = column[:50] or "(an empty name)"
            raise InvalidEnrolment("columns", f"unknown column {shown!r}")
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    if repeated:
        raise InvalidEnrolment("columns", f"column {repeated[0]!r} named twice")
    return columns


class Exported(Protocol):
    """An enrolment as exported: its columns are its attributes."""

    @property
    def flags(self) -> Mapping[str, bool]: ...


def export_cell(record: Exported, column: str) -> object:
    """The value of `column` for one exported enrolment: a list as a CSV import takes it
    (`a;b`), a flag as true, false or empty (not set)."""
    if column in _LIST_COLUMNS:
        return LIST_SEPARATOR.join(getattr(record, column))
    flag = (
        column.removeprefix(FLAG_COLUMN_PREFIX) if column.startswith(FLAG_COLUMN_PREFIX) else None
    )
    if flag is not None:
        value = record.flags.get(flag)
        return "" if value is None else ("true" if value else "false")
    return getattr(record, column)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> str:
    """A cell a spreadsheet will show as text: one starting like a formula gets a leading
    apostrophe (OWASP's advice against CSV injection)."""
    if isinstance(value, datetime):
        return value.isoformat()
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(_FORMULA_START) else text


def csv_lines(records: Iterable[Iterable[object]]) -> str:
    """CSV records (CRLF-terminated), every cell spreadsheet-safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows([spreadsheet_safe(cell) for cell in record] for record in records)
    return buffer.getvalue()
