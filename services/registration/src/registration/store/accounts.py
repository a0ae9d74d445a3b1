"""Accounts: 'reserved' while the link is being redeemed, then 'active', or
'pending_activation' until an administrator approves it (see `domain.accounts`)."""

from dataclasses import dataclass
from datetime import datetime

import asyncpg

from registration.domain.accounts import AccountStatus


@dataclass(frozen=True)
class Reservation:
    """An account holding its username before the link is redeemed: no password yet."""

    account_id: str
    tenant_id: str
    username: str
    email: str
    invitation_id: str
    enrolment_id: str
    link_hash: bytes
    reserved_at: datetime


@dataclass(frozen=True)
class Completion:
    """What an account gets once its link is redeemed."""

    first_name: str
    last_name: str
    password_hash: str  # argon2id
    status: AccountStatus  # active, or pending_activation
    completed_at: datetime
    middle_name: str | None = None
    phone: str | None = None  # E.164


@dataclass(frozen=True)
class ApprovedAccount:
    """An account an administrator approved, as its AccountActivated tells of it."""

    account_id: str
    enrolment_id: str
    email: str
    username: str
    first_name: str
    invitation_id: str  # the invitation the account was made through


class AccountRows:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def reserve(self, reservation: Reservation) -> str | None:
        """Hold the username while the link is redeemed; return the account id holding it.
        The account this invitation already has under the same username (the registration
        sent again, after a lost answer or at the same moment) is returned as it is; a
        username held by anyone else gives None."""
        held: str | None = await self.conn.fetchval(
            """INSERT INTO accounts (id, tenant_id, username, email, first_name, last_name,
                   password_hash, status, invitation_id, enrolment_id, link_hash, created_at)
               VALUES ($1, $2, $3, $4, '', '', '', 'reserved', $5, $6, $7, $8)
               ON CONFLICT (tenant_id, username) DO UPDATE SET id = accounts.id
                   WHERE accounts.invitation_id = $5
               RETURNING id""",
            reservation.account_id,
            reservation.tenant_id,
            reservation.username,
            reservation.email,
            reservation.invitation_id,
            reservation.enrolment_id,
            reservation.link_hash,
            reservation.reserved_at,
        )
        return held

    async def is_taken(self, tenant_id: str, username: str, *, invitation_id: str) -> bool:
        """Whether someone else in the tenant holds `username`, reserved or complete: the
        invitation's own reservation (a registration of this very link that did not
        finish) does not count, as `reserve` gives it back to the same invitation."""
        taken: bool = await self.conn.fetchval(
            """SELECT EXISTS (SELECT 1 FROM accounts
                   WHERE tenant_id = $1 AND username = $2 AND invitation_id <> $3)""",
            tenant_id,
            username,
            invitation_id,
        )
        return taken

    async def made_with(self, link_hash: bytes, username: str | None) -> str | None:
        """The account made with this link (and this username, when one was sent),
        whatever its status: the link shows as used once its redeem went through, and a
        registration sent again finds it. A complete account comes before a reservation."""
        held: str | None = await self.conn.fetchval(
            """SELECT id FROM accounts WHERE link_hash = $1 AND ($2::text IS NULL OR username = $2)
               ORDER BY status = 'reserved', created_at LIMIT 1""",
            link_hash,
            username,
        )
        return held

    async def completed_password_hash(self, account_id: str) -> str | None:
        found: str | None = await self.conn.fetchval(
            "SELECT password_hash FROM accounts WHERE id = $1 AND status <> 'reserved'",
            account_id,
        )
        return found

    async def release(self, account_id: str) -> None:
        await self.conn.execute(
            "DELETE FROM accounts WHERE id = $1 AND status = 'reserved'", account_id
        )

    async def complete(self, account_id: str, completion: Completion) -> bool:
        """Make the reservation a complete account; False when it is not a reservation (any
        more): of registrations racing to complete one account, exactly one gets True."""
        updated: str = await self.conn.execute(
            """UPDATE accounts SET first_name = $2, middle_name = $3, last_name = $4,
                   phone = $5, password_hash = $6, status = $7,
                   activated_at = CASE WHEN $7 = 'active' THEN $8::timestamptz END
               WHERE id = $1 AND status = 'reserved'""",
            account_id,
            completion.first_name,
            completion.middle_name,
            completion.last_name,
            completion.phone,
            completion.password_hash,
            completion.status,
            completion.completed_at,
        )
        return updated == "UPDATE 1"

    async def approve(
        self, account_id: str, *, tenant_id: str, at: datetime
    ) -> ApprovedAccount | None:
        """Activate an account waiting for approval; None when there is none such in this
        tenant (it is active already, or was never this tenant's)."""
        row = await self.conn.fetchrow(
            """UPDATE accounts SET status = 'active', activated_at = $3
               WHERE id = $1 AND tenant_id = $2 AND status = 'pending_activation'
               RETURNING id, enrolment_id, email, username, first_name, invitation_id""",
            account_id,
            tenant_id,
            at,
        )
        if row is None:
            return None
        return ApprovedAccount(
            row["id"],
            row["enrolment_id"],
            row["email"],
            row["username"],
            row["first_name"],
            row["invitation_id"],
        )

    async def release_reserved_before(self, cutoff: datetime, *, batch: int = 1000) -> int:
        """Release up to `batch` reservations made before `cutoff`; how many were."""
        deleted: str = await self.conn.execute(
            """DELETE FROM accounts WHERE id IN (
                   SELECT id FROM accounts WHERE status = 'reserved' AND created_at < $1
                   LIMIT $2)""",
            cutoff,
            batch,
        )
        return int(deleted.rsplit(" ", 1)[-1])
