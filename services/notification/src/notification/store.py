"""The notification service's SQL. Outbox writes go through the kit."""

from collections.abc import Sequence
from dataclasses import astuple, dataclass
from datetime import datetime

import asyncpg
from onboarding_contracts import Envelope
from onboarding_kit import outbox


@dataclass(frozen=True)
class NewNotification:
    id: str
    tenant_id: str
    invitation_id: str
    enrolment_id: str
    send_count: int
    channel: str
    recipient: str


class NotificationStore:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def publish(self, events: Sequence[Envelope]) -> None:
        await outbox.append(self.conn, events)

    async def claim(self, notifications: Sequence[NewNotification]) -> set[str]:
        """Record that these links are being sent; return the ids of those not sent before."""
        if not notifications:
            return set()
        rows = await self.conn.fetch(
            """INSERT INTO notifications (id, tenant_id, invitation_id, enrolment_id,
                   send_count, channel, recipient, status)
               SELECT *, 'sending' FROM unnest($1::text[], $2::text[], $3::text[], $4::text[],
                                               $5::int[], $6::text[], $7::text[])
               ON CONFLICT (invitation_id, send_count) DO NOTHING
               RETURNING id""",
            *[list(column) for column in zip(*map(astuple, notifications), strict=True)],
        )
        return {row["id"] for row in rows}

    async def mark_sent(self, notification_ids: Sequence[str], at: datetime) -> None:
        await self.conn.execute(
            "UPDATE notifications SET status = 'sent', sent_at = $2 WHERE id = ANY($1::text[])",
            list(notification_ids),
            at,
        )

    async def mark_failed(self, notification_id: str, reason: str) -> None:
        await self.conn.execute(
            "UPDATE notifications SET status = 'failed', last_error = $2 WHERE id = $1",
            notification_id,
            reason,
        )
