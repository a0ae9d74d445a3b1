"""Which enrolments an admin's bulk action reaches (an activation, credentials): the
selected people in the statuses the action applies to (the rule is the domain's); here
they are found a batch at a time, however many a course holds."""

from collections.abc import Collection

from enrolment.domain.selection import PeopleSelection
from enrolment.domain.statuses import EnrolmentStatus
from enrolment.store.enrolments import ENROLMENT_FIELDS, Enrolment, enrolment_from
from enrolment.store.rows import Rows, equal_to

_COLUMNS = ", ".join(ENROLMENT_FIELDS)


class BulkRows(Rows):
    async def batch(
        self,
        tenant_id: str,
        selection: PeopleSelection,
        statuses: Collection[EnrolmentStatus],
        after_id: str | None,
        limit: int,
    ) -> list[Enrolment]:
        """Up to `limit` of the selected enrolments in one of `statuses`, in id order after
        `after_id` (the last of the batch before), locked; those another transaction holds
        (a cancellation, say) are passed by."""
        where, values = equal_to(
            [
                ("course", selection.course),
                ("cohort", selection.cohort),
                ("import_id", selection.import_id),
            ],
            first_parameter=4,
        )
        if selection.ids is not None:
            values.append(list(selection.ids))
            where += f" AND id = ANY(${3 + len(values)}::text[])"
        rows = await self.conn.fetch(
            f"""SELECT {_COLUMNS} FROM enrolments
                WHERE tenant_id = $1 AND status = ANY($2::text[])
                  AND ($3::text IS NULL OR id > $3){where}
                ORDER BY id
                LIMIT {int(limit)}
                FOR UPDATE SKIP LOCKED""",
            tenant_id,
            [status.value for status in statuses],
            after_id,
            *values,
        )
        return [enrolment_from(r) for r in rows]
