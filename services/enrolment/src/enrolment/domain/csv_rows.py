"""Reading people from an enrolment CSV: each row valid, or with the reason it is not."""

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace

from enrolment.domain.attributes import (
    FLAG_COLUMN_PREFIX,
    flag_of_column,
    flag_value,
    split_labels,
)
from enrolment.domain.csv_records import TextSource, Unreadable, is_blank, records
from enrolment.domain.people import Person, validate_person
from enrolment.domain.text import printable
from enrolment.errors import FileTooLarge, InvalidCsv, InvalidEnrolment

REQUIRED_COLUMNS = ("email", "id", "name")
OPTIONAL_COLUMNS = ("role", "cohort", "phone", "channel", "locale")
# The school's record of a person (seed 003); tags and sections list theirs separated by `;`,
# and any number of `flag:<name>` columns hold a flag each (true/false/yes/no/1/0, or empty).
ATTRIBUTE_COLUMNS = ("middle_name", "file_number", "tags", "sections")
# Errors an import's report shows at once, and at most on one page.
ERRORS_PAGE = 100
MAX_ERRORS_PAGE = 1000


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


def read_csv(
    source: TextSource | Iterable[str], header: Sequence[str] | None = None
) -> Iterator[Row | RowError]:
    """Rows of an enrolment CSV, in order, each valid or with the reason it is not.

    The header names the columns (order free; `email,id,name` required). It is read at
    once, so a file that cannot be read at all raises `InvalidCsv` here, before any row.
    Line numbers are those a spreadsheet shows: the header is line 1. A person twice in one
    file is reported on the second occurrence. Works on a stream: one record (of at most
    `MAX_RECORD_CHARS`) in memory at a time.

    With `header` given (manual entry: lines of `email,id,name`), there is no header row
    and the first line is line 1.
    """
    found = records(source)  # the header, when there is one, is line 1
    if header is None:
        first = next(found, None)
        if first is None:
            raise InvalidCsv("the file is empty: expected a header row email,id,name")
        if isinstance(first, Unreadable):
            raise InvalidCsv(f"the header row cannot be read: {first.problem}")
        columns = [column.strip().lower() for column in first[1]]
    else:
        columns = list(header)
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise InvalidCsv(
            f"missing column(s) {', '.join(missing)}: the header must name email, id and name"
        )
    for column in columns:
        try:
            flag_of_column(column)
        except InvalidEnrolment as refused:
            raise InvalidCsv(f"column {column!r}: {refused.reason}") from refused
    return _rows(found, columns)


def batch_columns(raw: str) -> tuple[str, ...]:
    """The columns of a manual batch's lines, as named (comma-separated, `email,id,name`
    among them): any an import takes. An unknown one is refused, naming it."""
    columns = tuple(column.strip().lower() for column in raw.split(","))
    known = (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS, *ATTRIBUTE_COLUMNS)
    for column in columns:
        if column not in known and not column.startswith(FLAG_COLUMN_PREFIX):
            raise InvalidEnrolment("columns", f"unknown column {column!r}")
        flag_of_column(column)
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    if repeated:
        raise InvalidEnrolment("columns", f"column {repeated[0]!r} named twice")
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise InvalidEnrolment("columns", f"missing column(s) {', '.join(missing)}")
    return columns


def check_row_count(
    source: TextSource | Iterable[str], header: Sequence[str] | None, max_rows: int
) -> None:
    """Refuse a file of more than `max_rows` rows (blank lines are not rows) before any of
    it is imported: a first, quick pass over a file that is then read again for real."""
    found = records(source)
    if header is None:
        next(found, None)
    rows = 0
    for record in found:
        if isinstance(record, Unreadable) or not is_blank(record[1]):
            rows += 1
            if rows > max_rows:
                raise FileTooLarge(
                    f"the file has more than {max_rows} rows: split it into files of at most "
                    f"{max_rows} rows"
                )


def errors_page(errors: Sequence[RowError], limit: int) -> tuple[tuple[RowError, ...], int | None]:
    """The first `limit` of `errors` (in line order, read one beyond the page to know whether
    more follow), and the line to continue after: None when none follow."""
    shown = tuple(errors[:limit])
    return shown, (shown[-1].line if len(errors) > limit and shown else None)


def _rows(
    found: Iterator[tuple[int, list[str]] | Unreadable], columns: list[str]
) -> Iterator[Row | RowError]:
    index = {
        name: columns.index(name)
        for name in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS, *ATTRIBUTE_COLUMNS)
        if name in columns
    }
    # (position, column, flag name) of each flag column, the first of a name repeated.
    flag_columns = [
        (columns.index(column), column, flag)
        for column in dict.fromkeys(columns)
        if (flag := flag_of_column(column)) is not None
    ]
    seen: dict[str, int] = {}
    for record in found:
        if isinstance(record, Unreadable):
            shown = printable(record.start) + ("\u2026" if record.start else "")
            yield RowError(record.line, None, record.reason, shown)
            continue
        line, values = record
        if is_blank(values):
            continue  # blank lines are not rows
        if len(values) > len(columns):
            yield RowError(
                line, None, f"{len(values)} values for {len(columns)} columns", _raw(values)
            )
            continue
        cell = {name: values[i] if i < len(values) else "" for name, i in index.items()}
        try:
            flags = {}
            for i, column, flag in flag_columns:
                value = flag_value(column, values[i] if i < len(values) else "")
                if value is not None:
                    flags[flag] = value
            person = validate_person(
                email=cell["email"],
                name=cell["name"],
                external_id=cell["id"],
                role=cell.get("role"),
                cohort=cell.get("cohort"),
                phone=cell.get("phone"),
                channel=cell.get("channel"),
                locale=cell.get("locale"),
                middle_name=cell.get("middle_name"),
                file_number=cell.get("file_number"),
                tags=split_labels(cell["tags"]) if "tags" in cell else None,
                flags=flags,
                sections=split_labels(cell["sections"]) if "sections" in cell else None,
            )
        except InvalidEnrolment as error:
            yield RowError(line, error.field, error.reason, _raw(values))
            continue
        if person.email in seen:
            yield RowError(
                line,
                "email",
                f"duplicate in this file (first on line {seen[person.email]})",
                _raw(values),
            )
            continue
        seen[person.email] = line
        yield Row(line, person)


def _raw(values: list[str]) -> str:
    """A refused row's text as it is stored and shown (made only for refused rows: most
    rows of a large import are good)."""
    return printable(",".join(values))
