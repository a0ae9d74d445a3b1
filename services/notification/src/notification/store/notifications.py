"""Notifications: one row per message, claimed before it is sent."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg


@dataclass(frozen=True)
class NewNotification:
    id: str
    tenant_id: str
    invitation_id: str
    enrolment_id: str
    send_count: int
    channel: str
    recipient: str


class NotificationRows:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def claim(self, notifications: Sequence[NewNotification], at: datetime) -> set[str]:
        """Record that these links are being sent; return the ids of those not sent before.

        One message per link: the unique (invitation_id, send_count) lets a redelivered or
        republished InvitationIssued claim nothing."""
        if not notifications:
            return set()
        rows = await self.conn.fetch(
            """INSERT INTO notifications (id, tenant_id, invitation_id, enrolment_id,
                   send_count, channel, recipient, status, created_at)
               SELECT id, tenant_id, invitation_id, enrolment_id, send_count, channel,
                      recipient, 'sending', $8
               FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[],
                           $6::text[], $7::text[])
                    AS n(id, tenant_id, invitation_id, enrolment_id, send_count, channel,
                         recipient)
               ON CONFLICT (invitation_id, send_count) DO NOTHING
               RETURNING id""",
            [n.id for n in notifications],
            [n.tenant_id for n in notifications],
            [n.invitation_id for n in notifications],
            [n.enrolment_id for n in notifications],
            [n.send_count for n in notifications],
            [n.channel for n in notifications],
            [n.recipient for n in notifications],
            at,
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
