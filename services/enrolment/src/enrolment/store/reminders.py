"""Which enrolments may be reminded now, by an admin or by their tenant's schedule, and
when a reminder was last asked for. The rules are the domain's (`domain/invitations.py`);
here they select thousands of people at once."""

from collections.abc import Sequence
from datetime import datetime

from enrolment.domain.invitations import OPEN_INVITATIONS, REMINDER_QUIET_PERIOD, SENDABLE
from enrolment.domain.selection import Selection
from enrolment.store.enrolments import ENROLMENT_FIELDS, Enrolment, enrolment_from
from enrolment.store.rows import Rows, equal_to

_COLUMNS = ", ".join(f"e.{f}" for f in ENROLMENT_FIELDS)
_SENDABLE = [s.value for s in SENDABLE]
_OPEN = [s.value for s in OPEN_INVITATIONS]
# Invited, not registered, and their invitation still open as far as the view knows.
_REMINDABLE = """e.status = ANY($2::text[]) AND e.registered_at IS NULL
    AND NOT EXISTS (SELECT 1 FROM invitations settled
                    WHERE settled.enrolment_id = e.id AND NOT settled.status = ANY($3::text[]))"""


def _group(selection: Selection, first_parameter: int) -> tuple[str, list[object]]:
    return equal_to(
        [
            ("e.course", selection.course),
            ("e.cohort", selection.cohort),
            ("e.import_id", selection.import_id),
        ],
        first_parameter,
    )


class ReminderRows(Rows):
    async def remindable(
        self, tenant_id: str, selection: Selection, now: datetime, limit: int
    ) -> list[Enrolment]:
        """Up to `limit` of the selected people an admin may remind now (not reminded in
        the last hour), locked; those another transaction holds are passed by."""
        where, values = _group(selection, first_parameter=5)
        rows = await self.conn.fetch(
            f"""SELECT {_COLUMNS} FROM enrolments e
                WHERE e.tenant_id = $1 AND {_REMINDABLE}
                  AND (e.reminder_requested_at IS NULL OR e.reminder_requested_at <= $4){where}
                LIMIT {int(limit)}
                FOR UPDATE OF e SKIP LOCKED""",
            tenant_id,
            _SENDABLE,
            _OPEN,
            now - REMINDER_QUIET_PERIOD,
            *values,
        )
        return [enrolment_from(r) for r in rows]

    async def selected(self, tenant_id: str, selection: Selection) -> int:
        """How many people the selection holds, whatever their status."""
        where, values = _group(selection, first_parameter=2)
        count: int = await self.conn.fetchval(
            f"SELECT count(*) FROM enrolments e WHERE e.tenant_id = $1{where}",
            tenant_id,
            *values,
        )
        return count

    async def due(self, now: datetime, limit: int) -> list[Enrolment]:
        """Up to `limit` people, of every tenant with a reminder schedule, due a scheduled
        reminder: their last link and their last reminder are older than the tenant's
        period (and the reminder an hour old at least, whatever the period), and they had
        fewer reminders than the tenant allows. Locked; those another transaction holds are
        passed by."""
        rows = await self.conn.fetch(
            f"""SELECT {_COLUMNS}
                FROM enrolments e
                JOIN tenants t ON t.id = e.tenant_id
                JOIN invitations i ON i.enrolment_id = e.id
                CROSS JOIN LATERAL (
                    SELECT make_interval(secs => t.reminder_after_hours * 3600) AS period
                ) p
                WHERE t.reminder_after_hours IS NOT NULL AND {_REMINDABLE}
                  AND i.reminder_count < t.max_reminders
                  AND i.last_sent_at <= $1::timestamptz - p.period
                  AND (e.reminder_requested_at IS NULL
                       OR e.reminder_requested_at <= $1::timestamptz - greatest(p.period, $4))
                LIMIT {int(limit)}
                FOR UPDATE OF e SKIP LOCKED""",
            now,
            _SENDABLE,
            _OPEN,
            REMINDER_QUIET_PERIOD,
        )
        return [enrolment_from(r) for r in rows]

    async def mark_requested(self, enrolment_ids: Sequence[str], at: datetime) -> None:
        await self.conn.execute(
            "UPDATE enrolments SET reminder_requested_at = $2, updated_at = $2 "
            "WHERE id = ANY($1::text[])",
            list(enrolment_ids),
            at,
        )
