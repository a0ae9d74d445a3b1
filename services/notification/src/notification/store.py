"""The notification service's SQL. Outbox writes go through the kit."""

from collections.abc import Sequence
from datetime import datetime

import asyncpg
from onboarding_contracts import Envelope
from onboarding_kit import outbox


class NotificationStore:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def publish(self, events: Sequence[Envelope]) -> None:
        await outbox.append(self.conn, events)

    async def claim(
        self,
        *,
        notification_id: str,
        tenant_id: str,
        invitation_id: str,
        enrolment_id: str,
        send_count: int,
        channel: str,
        recipient: str,
    ) -> bool:
        """Record that this link is being sent; False when it already was."""
        inserted = await self.conn.fetchval(
            """INSERT INTO notifications (id, tenant_id, invitation_id, enrolment_id,
                   send_count, channel, recipient, status)
               VALUES ($1, $2, $3, $4, $5, $6, $7, 'sending')
               ON CONFLICT (invitation_id, send_count) DO NOTHING
               RETURNING true""",
            notification_id,
            tenant_id,
            invitation_id,
            enrolment_id,
            send_count,
            channel,
            recipient,
        )
        return bool(inserted)

    async def mark_sent(self, notification_id: str, at: datetime) -> None:
        await self.conn.execute(
            "UPDATE notifications SET status = 'sent', sent_at = $2 WHERE id = $1",
            notification_id,
            at,
        )

    async def mark_failed(self, notification_id: str, reason: str) -> None:
        await self.conn.execute(
            "UPDATE notifications SET status = 'failed', last_error = $2 WHERE id = $1",
            notification_id,
            reason,
        )
