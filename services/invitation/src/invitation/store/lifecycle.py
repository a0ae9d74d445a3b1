"""SQL of an invitation's life after its first link: the link replaced by a newer one (a
resend, a reminder, the person's own request), and expiry by the sweeper.

Each replacement is one compare-and-set UPDATE: it locks the row, checks the rule of its
kind on the row as it is now, swaps the token hash, and keeps the old hash in
`replaced_links`, all in one statement. Of concurrent replacements each sees the row the
previous one left, so exactly one link, the last one sent, ever works."""

from dataclasses import dataclass
from datetime import datetime

import asyncpg
from onboarding_contracts.events import LinkPolicy

from invitation.domain.statuses import RESENDABLE
from invitation.store.invitations import COLUMNS, Invitation, columns_of


@dataclass(frozen=True)
class NewLink:
    """A link to send in place of an invitation's current one."""

    tenant_id: str
    enrolment_id: str
    token_hash: bytes
    sent_at: datetime
    expires_at: datetime
    policy: LinkPolicy  # the tenant's, now: stored with the link


@dataclass(frozen=True)
class Expired:
    """An invitation the sweeper found past its link's lifetime."""

    id: str
    tenant_id: str
    enrolment_id: str
    correlation_id: str
    send_count: int
    expired_at: datetime


_RESENDABLE = ", ".join(f"'{status.value}'" for status in sorted(RESENDABLE))


def _replacing(counters: str, guard: str) -> str:
    """The compare-and-set of one kind of replacement: its counters, and its rule. $1..$10
    are the NewLink's; the rule's own value is $11. `old` locks the row first, so the UPDATE
    (and `old.token_hash`) are of the row as the previous replacement left it, never of an
    older snapshot."""
    return f"""
        WITH old AS (
            SELECT id, token_hash FROM invitations
            WHERE tenant_id = $1 AND enrolment_id = $2
            FOR UPDATE
        ), replaced AS (
            UPDATE invitations AS i
            SET token_hash = $3, last_sent_at = $4, updated_at = $4, expires_at = $5,
                ttl_hours = $6, max_resends = $7, self_service_resend = $8,
                activation = $9, username_source = $10,
                status = 'pending', expired_at = NULL, send_count = i.send_count + 1,
                {counters}
            FROM old
            WHERE i.id = old.id AND i.status IN ({_RESENDABLE}) AND {guard}
            RETURNING {columns_of("i")}, old.token_hash AS replaced_hash
        ), kept AS (
            INSERT INTO replaced_links (token_hash, invitation_id, replaced_at)
            SELECT replaced_hash, id, $4 FROM replaced
        )
        SELECT {COLUMNS} FROM replaced"""


_RESENDS = "resend_count = i.resend_count + 1"
# An admin's resend: fewer resends so far than the (new) policy allows.
_RESEND = _replacing(_RESENDS, "i.resend_count < $11")
# The person's own request, judged by the policy stored with the invitation (the request
# brings none): the tenant lets people ask, a resend is left, the last link is not recent.
_RESEND_ON_REQUEST = _replacing(
    _RESENDS,
    "i.self_service_resend AND i.resend_count < i.max_resends AND i.last_sent_at <= $11",
)
# Credentials: a link that only sets a password replaces any earlier one, pending or
# expired, whatever the counters say (the admin made the account; no limit applies).
_GIVE_CREDENTIALS = _replacing("purpose = 'set_password'", "$11::boolean")
_REMIND = _replacing(
    "reminder_count = i.reminder_count + 1, last_reminded_at = $4",
    "(i.last_reminded_at IS NULL OR i.last_reminded_at <= $11)",
)


class LifecycleRows:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def resend(self, link: NewLink) -> Invitation | None:
        """An admin's resend: allowed while fewer than the new policy's `max_resends`
        resends were made. None when the invitation is missing or the rule refused it."""
        return await self._replace(_RESEND, link, link.policy.max_resends)

    async def resend_on_request(self, link: NewLink, *, sent_before: datetime) -> Invitation | None:
        """The person's own request: allowed only by the invitation's stored policy (the
        tenant lets people ask, a resend is left), and only when its last link was sent
        before `sent_before`."""
        return await self._replace(_RESEND_ON_REQUEST, link, sent_before)

    async def remind(self, link: NewLink, *, reminded_before: datetime) -> Invitation | None:
        """A reminder: allowed unless one was sent after `reminded_before`."""
        return await self._replace(_REMIND, link, reminded_before)

    async def give_credentials(self, link: NewLink) -> Invitation | None:
        """Credentials for an invitation that exists: its link now only sets a password.
        None when it is missing, accepted or revoked."""
        return await self._replace(_GIVE_CREDENTIALS, link, True)

    async def _replace(self, sql: str, link: NewLink, guarded: object) -> Invitation | None:
        row = await self.conn.fetchrow(
            sql,
            link.tenant_id,
            link.enrolment_id,
            link.token_hash,
            link.sent_at,
            link.expires_at,
            link.policy.ttl_hours,
            link.policy.max_resends,
            link.policy.self_service_resend,
            link.policy.activation,
            link.policy.username_source,
            guarded,
        )
        return Invitation.from_row(row) if row else None

    async def expire_due(self, now: datetime, *, batch: int) -> list[Expired]:
        """Mark up to `batch` pending invitations whose link expired by `now` as expired.
        Rows another transaction holds (a resend giving them a new link) are skipped: they
        are not due any more, or will be found at the next turn."""
        rows = await self.conn.fetch(
            """WITH due AS (
                   SELECT id FROM invitations
                   WHERE status = 'pending' AND expires_at <= $1
                   ORDER BY expires_at
                   LIMIT $2
                   FOR UPDATE SKIP LOCKED
               )
               UPDATE invitations AS i
               SET status = 'expired', expired_at = i.expires_at, updated_at = $1
               FROM due WHERE i.id = due.id
               RETURNING i.id, i.tenant_id, i.enrolment_id, i.correlation_id, i.send_count,
                         i.expired_at""",
            now,
            batch,
        )
        return [Expired(**dict(row)) for row in rows]
