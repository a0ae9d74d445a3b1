"""Which enrolments an admin's bulk activation reaches: the selected people who registered
and wait for approval (the rule is the domain's, `check_activatable`); here they are found
a batch at a time, however many a course holds."""

from enrolment.domain.selection import ActivationSelection
from enrolment.domain.statuses import ACTIVATABLE
from enrolment.store.enrolments import ENROLMENT_FIELDS, Enrolment, enrolment_from
from enrolment.store.rows import Rows, equal_to

_COLUMNS = ", ".join(ENROLMENT_FIELDS)


class ActivationRows(Rows):
    async def activatable(
        self, tenant_id: str, selection: ActivationSelection, after_id: str | None, limit: int
    ) -> list[Enrolment]:
        """Up to `limit` of the selected enrolments waiting for approval, in id order after
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
                WHERE tenant_id = $1 AND status = $2 AND ($3::text IS NULL OR id > $3){where}
                ORDER BY id
                LIMIT {int(limit)}
                FOR UPDATE SKIP LOCKED""",
            tenant_id,
            ACTIVATABLE.value,
            after_id,
            *values,
        )
        return [enrolment_from(r) for r in rows]
