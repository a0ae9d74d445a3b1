"""Reading people from an enrolment CSV: each row valid, or with the reason it is not."""

import csv
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

from enrolment.domain.people import Person, validate_person
from enrolment.domain.text import printable
from enrolment.errors import InvalidCsv, InvalidEnrolment

REQUIRED_COLUMNS = ("email", "id", "name")
OPTIONAL_COLUMNS = ("role", "cohort", "phone", "channel")


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

    def with_default_cohort(self, cohort: str | None) -> "Row":
        """The import's cohort fills a row that names none of its own."""
        if self.person.cohort or not cohort:
            return self
        return Row(self.line, replace(self.person, cohort=cohort))


def read_csv(lines: Iterable[str], header: Sequence[str] | None = None) -> Iterator[Row | RowError]:
    """Rows of an enrolment CSV, in order, each valid or with the reason it is not.

    The header names the columns (order free; `email,id,name` required). It is read at
    once, so a file that cannot be read at all raises `InvalidCsv` here, before any row.
    Line numbers are those a spreadsheet shows: the header is line 1. A person twice in one
    file is reported on the second occurrence. Works on a stream: one line in memory at a
    time.

    With `header` given (manual entry: lines of `email,id,name`), there is no header row
    and the first line is line 1.
    """
    reader = csv.reader(_strip_bom(lines))
    if header is None:
        try:
            columns = [column.strip().lower() for column in next(reader)]
        except StopIteration:
            raise InvalidCsv("the file is empty: expected a header row email,id,name") from None
        except csv.Error as error:
            raise InvalidCsv(f"the header row cannot be read: {error}") from error
        first_line = 2
    else:
        columns, first_line = list(header), 1
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise InvalidCsv(
            f"missing column(s) {', '.join(missing)}: the header must name email, id and name"
        )
    return _rows(reader, columns, first_line)


def _rows(reader: Any, columns: list[str], first_line: int) -> Iterator[Row | RowError]:
    index = {
        name: columns.index(name)
        for name in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)
        if name in columns
    }
    seen: dict[str, int] = {}
    # Rows are numbered as a spreadsheet shows them (header = 1), so a quoted value spanning
    # several physical lines still counts as one row.
    for line, values in _records(reader, first_line):
        if isinstance(values, str):
            yield RowError(line, None, values, "")
            return
        raw = printable(",".join(values))  # stored and shown as the row's text
        if not any(v.strip() for v in values):
            continue  # blank lines are not rows
        if len(values) > len(columns):
            yield RowError(line, None, f"{len(values)} values for {len(columns)} columns", raw)
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
