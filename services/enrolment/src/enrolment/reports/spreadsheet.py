"""An account report as CSV, for spreadsheets: the PDF's columns, full timestamps, every
cell spreadsheet-safe."""

from collections.abc import Sequence

from enrolment.domain.exports import csv_lines
from enrolment.reports.people import COLUMNS, ReportKind, ReportPerson, values_of


def csv_header(kind: ReportKind) -> str:
    return csv_lines([[column.key for column in COLUMNS[kind]]])


def csv_records(kind: ReportKind, people: Sequence[ReportPerson], sign_in_url: str | None) -> str:
    columns = COLUMNS[kind]
    return csv_lines(values_of(person, columns, sign_in_url) for person in people)
