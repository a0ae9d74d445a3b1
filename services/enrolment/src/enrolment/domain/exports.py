"""CSV files the service hands out: what they hold, and cells a spreadsheet cannot run."""

import csv
import io
from collections.abc import Iterable
from datetime import datetime

# The columns of `GET /v1/enrolments.csv`, in order: a published format.
EXPORT_COLUMNS = (
    "id", "email", "name", "external_id", "role", "course", "cohort", "phone", "channel",
    "status", "import_id", "invited_at", "emailed_at", "registered_at", "activated_at",
    "created_at", "locale",
)  # fmt: skip
IMPORT_ERROR_COLUMNS = ("line", "column", "reason", "row")

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
