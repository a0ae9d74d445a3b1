"""Accounts: 'reserved' while the link is being redeemed, then 'active'."""

from dataclasses import dataclass
from datetime import datetime

import asyncpg


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
class Activation:
    """What an account gets once its link is redeemed."""

    first_name: str
    last_name: str
    password_hash: str  # argon2id
    activated_at: datetime


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

    async def made_with(self, link_hash: bytes, username: str) -> str | None:
        """The account made with this link and username, reserved or active: the link shows
        as used once its redeem went through, and a registration sent again finds it."""
        held: str | None = await self.conn.fetchval(
            "SELECT id FROM accounts WHERE link_hash = $1 AND username = $2",
            link_hash,
            username,
        )
        return held

    async def active_password_hash(self, account_id: str) -> str | None:
        found: str | None = await self.conn.fetchval(
            "SELECT password_hash FROM accounts WHERE id = $1 AND status = 'active'",
            account_id,
        )
        return found

    async def release(self, account_id: str) -> None:
        await self.conn.execute(
            "DELETE FROM accounts WHERE id = $1 AND status = 'reserved'", account_id
        )

    async def activate(self, account_id: str, activation: Activation) -> bool:
        """Make the reservation an active account; False when it is not a reservation (any
        more): of registrations racing to activate one account, exactly one gets True."""
        updated: str = await self.conn.execute(
            """UPDATE accounts SET first_name = $2, last_name = $3, password_hash = $4,
                   status = 'active', activated_at = $5
               WHERE id = $1 AND status = 'reserved'""",
            account_id,
            activation.first_name,
            activation.last_name,
            activation.password_hash,
            activation.activated_at,
        )
        return updated == "UPDATE 1"

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
