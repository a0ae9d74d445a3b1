"""Welcome emails: one row per account, claimed before its message is sent."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg


@dataclass(frozen=True)
class NewWelcomeEmail:
    id: str
    tenant_id: str
    account_id: str
    enrolment_id: str
    recipient: str


class WelcomeEmailRows:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def claim(self, welcomes: Sequence[NewWelcomeEmail], at: datetime) -> set[str]:
        """Record that these accounts are being welcomed; return the ids of those not
        welcomed before (the unique account_id: one welcome per account)."""
        if not welcomes:
            return set()
        rows = await self.conn.fetch(
            """INSERT INTO welcome_emails (id, tenant_id, account_id, enrolment_id, recipient,
                   status, created_at)
               SELECT id, tenant_id, account_id, enrolment_id, recipient, 'sending', $6
               FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])
                    AS w(id, tenant_id, account_id, enrolment_id, recipient)
               ON CONFLICT DO NOTHING
               RETURNING id""",
            [w.id for w in welcomes],
            [w.tenant_id for w in welcomes],
            [w.account_id for w in welcomes],
            [w.enrolment_id for w in welcomes],
            [w.recipient for w in welcomes],
            at,
        )
        return {row["id"] for row in rows}

    async def mark_sent(self, ids: Sequence[str], at: datetime) -> None:
        await self.conn.execute(
            "UPDATE welcome_emails SET status = 'sent', sent_at = $2 WHERE id = ANY($1::text[])",
            list(ids),
            at,
        )

    async def mark_failed(self, welcome_id: str, reason: str) -> None:
        await self.conn.execute(
            "UPDATE welcome_emails SET status = 'failed', last_error = $2 WHERE id = $1",
            welcome_id,
            reason,
        )
