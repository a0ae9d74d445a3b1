"""The enrolment service's view of each enrolment's invitation, built from the invitation
service's events (and the answers to resends): how many links were sent, when the last one
was and when it expires."""

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime

import asyncpg

from enrolment.domain.invitations import CurrentLink, InvitationStatus, Sent
from enrolment.domain.selection import InvitationSelection
from enrolment.store.rows import Place, Rows, after_place, equal_to


@dataclass(frozen=True)
class InvitationView:
    """An invitation, with who it is for and where they are enrolled."""

    enrolment_id: str
    invitation_id: str
    email: str
    name: str
    course: str
    cohort: str | None
    import_id: str | None
    status: InvitationStatus
    send_count: int
    resend_count: int
    reminder_count: int
    last_sent_at: datetime
    expires_at: datetime
    created_at: datetime  # the enrolment's: the list's order

    @property
    def place(self) -> Place:
        return (self.created_at, self.enrolment_id)


_FROM_ENROLMENT = ("email", "name", "course", "cohort", "import_id", "created_at")
_COLUMNS = ", ".join(
    f"e.{f.name}" if f.name in _FROM_ENROLMENT else f"i.{f.name}" for f in fields(InvitationView)
)
_VIEW_FIELDS = tuple(f.name for f in fields(InvitationView))
_JOINED = "invitations i JOIN enrolments e ON e.id = i.enrolment_id"


def _view(record: asyncpg.Record) -> InvitationView:
    values = {f: record[f] for f in _VIEW_FIELDS}
    values["status"] = InvitationStatus(values["status"])
    return InvitationView(**values)


class InvitationRows(Rows):
    async def send_counts(self, enrolment_ids: Sequence[str]) -> dict[str, int]:
        """The send count of the last link the view knows, per enrolment that has one."""
        rows = await self.conn.fetch(
            "SELECT enrolment_id, send_count FROM invitations WHERE enrolment_id = ANY($1::text[])",
            list(enrolment_ids),
        )
        return {r["enrolment_id"]: r["send_count"] for r in rows}

    async def current_links(self, enrolment_ids: Sequence[str]) -> dict[str, CurrentLink]:
        """The latest link the view knows, per enrolment that has one."""
        rows = await self.conn.fetch(
            """SELECT enrolment_id, invitation_id, last_sent_at, send_count FROM invitations
               WHERE enrolment_id = ANY($1::text[])""",
            list(enrolment_ids),
        )
        return {
            r["enrolment_id"]: CurrentLink(r["invitation_id"], r["last_sent_at"], r["send_count"])
            for r in rows
        }

    async def record_sent(self, sends: Sequence[Sent], at: datetime) -> None:
        """Each link (one per enrolment) is the invitation's latest now, pending, unless the
        view knows a newer one already."""
        if not sends:
            return
        await self.conn.execute(
            """INSERT INTO invitations AS i
                   (enrolment_id, invitation_id, status, send_count, resend_count,
                    reminder_count, last_sent_at, expires_at, updated_at)
               SELECT u.enrolment_id, u.invitation_id, $1, u.send_count, u.resend_count,
                      u.reminder_count, u.sent_at, u.expires_at, $9
               FROM unnest($2::text[], $3::text[], $4::int[], $5::int[], $6::int[],
                           $7::timestamptz[], $8::timestamptz[])
                    AS u(enrolment_id, invitation_id, send_count, resend_count,
                         reminder_count, sent_at, expires_at)
               JOIN enrolments e ON e.id = u.enrolment_id
               ON CONFLICT (enrolment_id) DO UPDATE SET
                   invitation_id = EXCLUDED.invitation_id, status = EXCLUDED.status,
                   send_count = EXCLUDED.send_count, resend_count = EXCLUDED.resend_count,
                   reminder_count = EXCLUDED.reminder_count,
                   last_sent_at = EXCLUDED.last_sent_at, expires_at = EXCLUDED.expires_at,
                   updated_at = EXCLUDED.updated_at
               WHERE i.send_count < EXCLUDED.send_count""",
            InvitationStatus.PENDING.value,
            [s.enrolment_id for s in sends],
            [s.invitation_id for s in sends],
            [s.send_count for s in sends],
            [s.resend_count for s in sends],
            [s.reminder_count for s in sends],
            [s.sent_at for s in sends],
            [s.expires_at for s in sends],
            at,
        )

    async def mark_expired(self, expired: Sequence[tuple[str, int]], at: datetime) -> set[str]:
        """(enrolment id, send count) of each link that expired: marked so if it is still
        the one the view knows and still pending. The enrolment ids marked."""
        if not expired:
            return set()
        ids, send_counts = zip(*expired, strict=True)
        rows = await self.conn.fetch(
            """UPDATE invitations i SET status = $3, updated_at = $5
               FROM unnest($1::text[], $2::int[]) AS u(enrolment_id, send_count)
               WHERE i.enrolment_id = u.enrolment_id AND i.send_count = u.send_count
                 AND i.status = $4
               RETURNING i.enrolment_id""",
            list(ids),
            list(send_counts),
            InvitationStatus.EXPIRED.value,
            InvitationStatus.PENDING.value,
            at,
        )
        return {r["enrolment_id"] for r in rows}

    async def settle(
        self, enrolment_id: str, invitation_id: str, status: InvitationStatus, at: datetime
    ) -> None:
        """The invitation was accepted or revoked: for good, whatever link it was."""
        await self.conn.execute(
            "UPDATE invitations SET status = $3, updated_at = $4 "
            "WHERE enrolment_id = $1 AND invitation_id = $2",
            enrolment_id,
            invitation_id,
            status.value,
            at,
        )

    async def get(self, tenant_id: str, enrolment_id: str) -> InvitationView | None:
        row = await self.conn.fetchrow(
            f"SELECT {_COLUMNS} FROM {_JOINED} WHERE e.tenant_id = $1 AND e.id = $2",
            tenant_id,
            enrolment_id,
        )
        return _view(row) if row else None

    async def page(
        self, tenant_id: str, selection: InvitationSelection, after: Place | None, limit: int
    ) -> list[InvitationView]:
        """Up to `limit` of the selection in the order of their enrolments, after `after`."""
        keyset, place = after_place(("e.created_at", "e.id"), after, first_parameter=2)
        where, values = equal_to(
            [
                ("i.status", selection.status and selection.status.value),
                ("e.course", selection.course),
                ("e.cohort", selection.cohort),
                ("e.import_id", selection.import_id),
                # Emails are stored lower-cased.
                ("e.email", selection.email and selection.email.strip().lower()),
            ],
            first_parameter=2 + len(place),
        )
        rows = await self.conn.fetch(
            f"""SELECT {_COLUMNS} FROM {_JOINED}
                WHERE e.tenant_id = $1{keyset}{where}
                ORDER BY e.created_at, e.id
                LIMIT {int(limit)}""",
            tenant_id,
            *place,
            *values,
        )
        return [_view(r) for r in rows]
