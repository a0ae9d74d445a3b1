"""The registration service's SQL. Outbox writes go through the kit."""

from collections.abc import Sequence

import asyncpg
from onboarding_contracts import Envelope
from onboarding_kit import outbox


class RegistrationStore:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def publish(self, events: Sequence[Envelope]) -> None:
        await outbox.append(self.conn, events)

    async def reserve_username(
        self,
        *,
        account_id: str,
        tenant_id: str,
        username: str,
        email: str,
        invitation_id: str,
        enrolment_id: str,
        link_hash: bytes,
    ) -> str | None:
        """Hold the username while the link is redeemed; return the account id holding it.
        A reservation this link already made for the same username (a registration retried
        after a lost answer) is reused; a username held by anyone else gives None."""
        held: str | None = await self.conn.fetchval(
            """INSERT INTO accounts (id, tenant_id, username, email, first_name, last_name,
                   password_hash, status, invitation_id, enrolment_id, link_hash)
               VALUES ($1, $2, $3, $4, '', '', '', 'reserved', $5, $6, $7)
               ON CONFLICT (tenant_id, username) DO UPDATE SET id = accounts.id
                   WHERE accounts.status = 'reserved' AND accounts.invitation_id = $5
               RETURNING id""",
            account_id,
            tenant_id,
            username,
            email,
            invitation_id,
            enrolment_id,
            link_hash,
        )
        return held

    async def reservation(self, link_hash: bytes, username: str) -> str | None:
        """The account reserved with this link and username, if a registration stopped
        after its redeem."""
        held: str | None = await self.conn.fetchval(
            "SELECT id FROM accounts WHERE link_hash = $1 AND username = $2 "
            "AND status = 'reserved'",
            link_hash,
            username,
        )
        return held

    async def release(self, account_id: str) -> None:
        await self.conn.execute(
            "DELETE FROM accounts WHERE id = $1 AND status = 'reserved'", account_id
        )

    async def activate(
        self, account_id: str, *, first_name: str, last_name: str, password_hash: str
    ) -> None:
        await self.conn.execute(
            """UPDATE accounts SET first_name = $2, last_name = $3, password_hash = $4,
                   status = 'active', activated_at = now()
               WHERE id = $1""",
            account_id,
            first_name,
            last_name,
            password_hash,
        )
