"""Import batches: their progress, their outcome, and each bad row with its reason."""

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime

from enrolment.domain.csv_rows import RowError, errors_page
from enrolment.domain.policy import InvitePolicy
from enrolment.domain.statuses import EnrolmentStatus, ImportStatus
from enrolment.store.rows import Rows


@dataclass(frozen=True)
class ImportSummary:
    id: str
    course: str
    cohort: str | None
    invite_policy: InvitePolicy
    status: ImportStatus
    total_rows: int
    enrolled: int
    failed: int
    errors: tuple[RowError, ...]  # a page of them, in line order
    next_errors_after: int | None = None  # the line after which the next page starts


@dataclass(frozen=True)
class ImportProgress:
    """When an import not settled yet last moved: a row stored, or one of its people moving
    on."""

    id: str
    progressed_at: datetime


# An import is not settled while it stores rows, or while any of its people whose invitation
# was asked for is not invited yet. The literals match the partial indexes of migration 0006
# (a parameter would not let the planner use them).
_AWAITING_INVITATION = (
    f"status = '{EnrolmentStatus.ENROLLED.value}' AND invitation_requested_at IS NOT NULL"
)
LEAST_RECENT_PROGRESS = f"""
WITH RECURSIVE awaiting(import_id) AS (
    (SELECT import_id FROM enrolments
     WHERE {_AWAITING_INVITATION} AND import_id IS NOT NULL
     ORDER BY import_id LIMIT 1)
    UNION ALL
    SELECT (SELECT import_id FROM enrolments
            WHERE {_AWAITING_INVITATION} AND import_id > a.import_id
            ORDER BY import_id LIMIT 1)
    FROM awaiting a
    WHERE a.import_id IS NOT NULL
), unsettled(id) AS (
    SELECT import_id FROM awaiting WHERE import_id IS NOT NULL
    UNION
    SELECT id FROM imports WHERE status = '{ImportStatus.PROCESSING.value}'
)
SELECT i.id,
       greatest(i.created_at, i.finished_at,
                (SELECT max(e.updated_at) FROM enrolments e WHERE e.import_id = i.id))
           AS progressed_at
FROM unsettled u JOIN imports i ON i.id = u.id
ORDER BY progressed_at, i.id
LIMIT 1"""

_SUMMARY_COLUMNS = ", ".join(
    f.name for f in fields(ImportSummary) if f.name not in ("errors", "next_errors_after")
)
ROW_ERROR_FIELDS = tuple(f.name for f in fields(RowError))


class ImportRows(Rows):
    async def create(
        self,
        import_id: str,
        tenant_id: str,
        course: str,
        cohort: str | None,
        policy: InvitePolicy,
        at: datetime,
    ) -> None:
        await self.conn.execute(
            "INSERT INTO imports (id, tenant_id, course, cohort, invite_policy, status, created_at)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7)",
            import_id,
            tenant_id,
            course,
            cohort,
            policy.value,
            ImportStatus.PROCESSING.value,
            at,
        )

    async def add_errors(self, import_id: str, errors: Sequence[RowError]) -> None:
        if errors:
            await self.conn.executemany(
                "INSERT INTO import_errors (import_id, line, field, reason, raw) "
                "VALUES ($1, $2, $3, $4, $5)",
                [(import_id, e.line, e.field, e.reason, e.raw) for e in errors],
            )

    async def count_rows(self, import_id: str, total: int, enrolled: int, failed: int) -> None:
        """Progress of a running import, visible to `GET /v1/imports/{id}` at once."""
        await self.conn.execute(
            """UPDATE imports SET total_rows = total_rows + $2, enrolled = enrolled + $3,
                   failed = failed + $4
               WHERE id = $1""",
            import_id,
            total,
            enrolled,
            failed,
        )

    async def finish(self, import_id: str, status: ImportStatus, at: datetime) -> None:
        await self.conn.execute(
            "UPDATE imports SET status = $2, finished_at = $3 WHERE id = $1",
            import_id,
            status.value,
            at,
        )

    async def summary(
        self, tenant_id: str, import_id: str, errors_after: int, errors_limit: int
    ) -> ImportSummary | None:
        """The import with a page of its errors: up to `errors_limit` after line
        `errors_after`."""
        row = await self.conn.fetchrow(
            f"SELECT {_SUMMARY_COLUMNS} FROM imports WHERE tenant_id = $1 AND id = $2",
            tenant_id,
            import_id,
        )
        if row is None:
            return None
        errors, next_after = errors_page(
            await self.errors(import_id, errors_after, errors_limit + 1), errors_limit
        )
        return ImportSummary(
            id=row["id"],
            course=row["course"],
            cohort=row["cohort"],
            invite_policy=InvitePolicy(row["invite_policy"]),
            status=ImportStatus(row["status"]),
            total_rows=row["total_rows"],
            enrolled=row["enrolled"],
            failed=row["failed"],
            errors=errors,
            next_errors_after=next_after,
        )

    async def exists(self, tenant_id: str, import_id: str) -> bool:
        found = await self.conn.fetchval(
            "SELECT true FROM imports WHERE tenant_id = $1 AND id = $2", tenant_id, import_id
        )
        return found is True

    async def least_recent_progress(self) -> ImportProgress | None:
        """Of the imports not settled yet, the one that has moved least recently (None when
        all are settled). Its people moving on, or its rows being stored, is progress; a
        batch holding only bad rows leaves no trace, so it does not count. The people
        awaiting an invitation are walked one import at a time (a skip scan of their index),
        so the cost follows the number of unsettled imports, not their size."""
        row = await self.conn.fetchrow(LEAST_RECENT_PROGRESS)
        if row is None:
            return None
        return ImportProgress(id=row["id"], progressed_at=row["progressed_at"])

    async def errors(self, import_id: str, after_line: int, limit: int) -> list[RowError]:
        """Up to `limit` of the import's bad rows after line `after_line`, in line order."""
        rows = await self.conn.fetch(
            f"SELECT {', '.join(ROW_ERROR_FIELDS)} FROM import_errors "
            "WHERE import_id = $1 AND line > $2 ORDER BY line LIMIT $3",
            import_id,
            after_line,
            limit,
        )
        return [RowError(**{f: e[f] for f in ROW_ERROR_FIELDS}) for e in rows]
