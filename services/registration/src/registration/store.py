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
    ) -> bool:
        """Hold the username while the link is redeemed; False when it is taken."""
        inserted = await self.conn.fetchval(
            """INSERT INTO accounts (id, tenant_id, username, email, first_name, last_name,
                   password_hash, status, invitation_id, enrolment_id)
               VALUES ($1, $2, $3, $4, '', '', '', 'reserved', $5, $6)
               ON CONFLICT (tenant_id, username) DO NOTHING
               RETURNING true""",
            account_id,
            tenant_id,
            username,
            email,
            invitation_id,
            enrolment_id,
        )
        return bool(inserted)

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

    async def username_taken(self, tenant_id: str, username: str) -> bool:
        return bool(
            await self.conn.fetchval(
                "SELECT true FROM accounts WHERE tenant_id = $1 AND username = $2",
                tenant_id,
                username,
            )
        )
