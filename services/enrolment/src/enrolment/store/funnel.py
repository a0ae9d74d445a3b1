"""The funnel: how far the people of a selection got, counted in one pass over their
enrolments."""

from dataclasses import dataclass, fields

from enrolment.domain.selection import Selection
from enrolment.domain.statuses import EnrolmentStatus
from enrolment.store.enrolments import selection_where
from enrolment.store.rows import Rows


@dataclass(frozen=True)
class Funnel:
    """How far the people of a selection got."""

    enrolled: int
    invited: int
    emailed: int
    registered: int
    pending_activation: int  # registered; the tenant's admin has not activated them yet
    active: int
    expired: int  # their last link expired unused (InvitationExpired), no newer one since
    failed: int  # their current link could not be delivered (status failed)
    cancelled: int


FUNNEL_FIELDS = tuple(f.name for f in fields(Funnel))


class FunnelRows(Rows):
    async def funnel(self, tenant_id: str, selection: Selection) -> Funnel:
        where, values = selection_where(selection, first_parameter=7)
        row = await self.conn.fetchrow(
            f"""SELECT count(*) AS enrolled,
                       count(invited_at) AS invited,
                       count(emailed_at) AS emailed,
                       count(registered_at) AS registered,
                       count(*) FILTER (WHERE status = $5) AS pending_activation,
                       count(*) FILTER (WHERE status = $2) AS active,
                       count(*) FILTER (WHERE status = $3) AS expired,
                       count(*) FILTER (WHERE status = $6) AS failed,
                       count(*) FILTER (WHERE status = $4) AS cancelled
                FROM enrolments
                WHERE tenant_id = $1{where}""",
            tenant_id,
            EnrolmentStatus.ACTIVE.value,
            EnrolmentStatus.EXPIRED.value,
            EnrolmentStatus.CANCELLED.value,
            EnrolmentStatus.PENDING_ACTIVATION.value,
            EnrolmentStatus.FAILED.value,
            *values,
        )
        return Funnel(**{f: row[f] for f in FUNNEL_FIELDS})
