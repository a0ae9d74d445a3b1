"""What every store shares: the connection of the transaction it works in, and the pieces
of SQL that lists and pages are made of."""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import asyncpg

# A place in a list ordered by (enrolment created_at, enrolment id): what a cursor names.
Place = tuple[datetime, str]


class Rows:
    """The queries of one aggregate, on the connection of an open transaction."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn


def equal_to(
    conditions: Iterable[tuple[str, object]], first_parameter: int
) -> tuple[str, list[Any]]:
    """` AND column = $n` for each (column, value) whose value is given, and those values,
    numbered from `first_parameter`."""
    sql, values = [], []
    for column, value in conditions:
        if value is not None:
            values.append(value)
            sql.append(f" AND {column} = ${first_parameter + len(values) - 1}")
    return "".join(sql), values


def after_place(
    columns: tuple[str, str], after: Place | None, first_parameter: int
) -> tuple[str, list[Any]]:
    """The keyset condition of a page that starts after `after` (none for the first page):
    on an index of (tenant_id, created_at, id), a page costs the same wherever it starts."""
    if after is None:
        return "", []
    n = first_parameter
    created_at, row_id = columns
    return f" AND ({created_at}, {row_id}) > (${n}::timestamptz, ${n + 1}::text)", list(after)
