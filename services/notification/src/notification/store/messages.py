"""SQL of the messages: queued by the consumer, claimed by a sender (a lease), recorded
as each try ends. Every change is guarded by the status it expects, so a late or repeated
record (a sender that lost its lease, a repeated status callback) changes nothing."""

import json
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from notification.domain.delivery import MessageStatus


@dataclass(frozen=True)
class Message:
    id: str
    tenant_id: str
    enrolment_id: str
    invitation_id: str
    send_count: int | None
    account_id: str | None
    kind: str
    channel: str
    recipient: str
    locale: str | None
    content: dict[str, Any]
    correlation_id: str
    causation_id: str | None
    status: MessageStatus
    attempts: int
    next_attempt_at: datetime
    provider_id: str | None
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
    delivered_at: datetime | None
    failed_at: datetime | None
    trace_context: str | None = None

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> "Message":
        values = {f: row[f] for f in _FIELDS}
        values["content"] = json.loads(row["content"])
        values["status"] = MessageStatus(row["status"])
        return cls(**values)


_FIELDS = tuple(f.name for f in fields(Message))
_COLUMNS = ", ".join(_FIELDS)
_M_COLUMNS = ", ".join(f"m.{f}" for f in _FIELDS)
_WAITING = "('queued', 'retrying')"


@dataclass(frozen=True)
class Queued:
    """A message as just queued: what the queueing goes on to look at."""

    id: str
    invitation_id: str
    send_count: int | None
    recipient: str


@dataclass(frozen=True)
class NewMessage:
    id: str
    tenant_id: str
    enrolment_id: str
    invitation_id: str
    send_count: int | None
    account_id: str | None
    kind: str
    channel: str
    recipient: str
    locale: str | None
    content: dict[str, Any]
    correlation_id: str
    causation_id: str | None
    trace_context: str | None = None


_NEW = {
    "id": "text",
    "tenant_id": "text",
    "enrolment_id": "text",
    "invitation_id": "text",
    "send_count": "int",
    "account_id": "text",
    "kind": "text",
    "channel": "text",
    "recipient": "text",
    "locale": "text",
    "content": "jsonb",
    "correlation_id": "text",
    "causation_id": "text",
    "trace_context": "text",
}
_NEW_NAMES = ", ".join(_NEW)
_NEW_UNNESTED = ", ".join(f"${n}::{kind}[]" for n, kind in enumerate(_NEW.values(), start=1))
_AT = f"${len(_NEW) + 1}"


class MessageRows:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def queue(self, new: Sequence[NewMessage], at: datetime) -> list[Queued]:
        """Queue the messages not queued before (one per link, one welcome per account);
        the ones queued now."""
        if not new:
            return []
        columns = [
            [json.dumps(m.content) if name == "content" else getattr(m, name) for m in new]
            for name in _NEW
        ]
        rows = await self.conn.fetch(
            f"""INSERT INTO messages ({_NEW_NAMES}, status, next_attempt_at, created_at,
                                      updated_at)
                SELECT {_NEW_NAMES}, 'queued', {_AT}, {_AT}, {_AT}
                FROM unnest({_NEW_UNNESTED}) AS n ({_NEW_NAMES})
                ON CONFLICT DO NOTHING
                RETURNING id, invitation_id, send_count, recipient""",
            *columns,
            at,
        )
        return [Queued(**dict(r)) for r in rows]

    async def fail_waiting_before(
        self, invitation_id: str, send_count: int, reason: str, at: datetime
    ) -> list[Message]:
        """Fail the messages of this invitation's earlier links still waiting to go: their
        links died when this one was made, and sending them would only confuse."""
        rows = await self.conn.fetch(
            f"""UPDATE messages
                SET status = 'failed', last_error = $3, failed_at = $4, updated_at = $4
                WHERE invitation_id = $1 AND send_count < $2 AND status IN {_WAITING}
                RETURNING {_COLUMNS}""",
            invitation_id,
            send_count,
            reason,
            at,
        )
        return [Message.from_row(r) for r in rows]

    async def fail_queued(self, message_id: str, reason: str, at: datetime) -> Message | None:
        """Fail a message before any try (it can never be sent)."""
        row = await self.conn.fetchrow(
            f"""UPDATE messages
                SET status = 'failed', last_error = $2, failed_at = $3, updated_at = $3
                WHERE id = $1 AND status = 'queued'
                RETURNING {_COLUMNS}""",
            message_id,
            reason,
            at,
        )
        return Message.from_row(row) if row else None

    async def waiting(self) -> dict[str, list[str]]:
        """The tenants with messages waiting (whenever due), by channel, by a skip scan of
        the queue's index: as many index probes as (tenant, channel) pairs, however long
        the queue."""
        rows = await self.conn.fetch(
            f"""WITH RECURSIVE waiting AS (
                    (SELECT tenant_id, channel FROM messages WHERE status IN {_WAITING}
                     ORDER BY tenant_id, channel LIMIT 1)
                    UNION ALL
                    SELECT n.tenant_id, n.channel
                    FROM waiting AS w CROSS JOIN LATERAL (
                        SELECT m.tenant_id, m.channel FROM messages AS m
                        WHERE m.status IN {_WAITING}
                          AND (m.tenant_id, m.channel) > (w.tenant_id, w.channel)
                        ORDER BY m.tenant_id, m.channel LIMIT 1
                    ) AS n
                )
                SELECT tenant_id, channel FROM waiting"""
        )
        by_channel: dict[str, list[str]] = {}
        for row in rows:
            by_channel.setdefault(row["channel"], []).append(row["tenant_id"])
        return by_channel

    async def claim(
        self,
        quotas: dict[str, int],
        channel: str,
        now: datetime,
        lease: timedelta,
    ) -> list[Message]:
        """Take up to `quotas[tenant]` due messages of each tenant on this channel (oldest
        due first) for sending until `now + lease`; those another sender holds are passed
        by."""
        if not quotas:
            return []
        rows = await self.conn.fetch(
            f"""WITH due AS (
                    SELECT d.id
                    FROM unnest($1::text[], $2::int[]) AS q (tenant_id, n)
                    CROSS JOIN LATERAL (
                        SELECT m.id FROM messages AS m
                        WHERE m.tenant_id = q.tenant_id AND m.status IN {_WAITING}
                          AND m.channel = $4 AND m.next_attempt_at <= $3
                        ORDER BY m.next_attempt_at
                        LIMIT q.n
                        FOR UPDATE SKIP LOCKED
                    ) AS d
                )
                UPDATE messages AS m
                SET status = 'sending', attempts = m.attempts + 1, lease_until = $5,
                    updated_at = $3
                -- By id, as an array: the planner cannot know how few `due` holds, and
                -- joining it would scan the whole table.
                WHERE m.id = ANY(ARRAY(SELECT id FROM due))
                RETURNING {_M_COLUMNS}""",
            list(quotas),
            list(quotas.values()),
            now,
            channel,
            now + lease,
        )
        return [Message.from_row(r) for r in rows]

    async def release_expired_leases(self, now: datetime) -> int:
        """Messages whose sender died while sending (its lease ran out) wait again: they
        are the only ones a crash can send twice."""
        status = await self.conn.execute(
            """UPDATE messages
               SET status = 'retrying', lease_until = NULL, next_attempt_at = $1,
                   last_error = 'the sender stopped while sending it', updated_at = $1
               WHERE status = 'sending' AND lease_until < $1""",
            now,
        )
        return int(status.split()[-1])

    async def record_sent_many(
        self, sent: Sequence[tuple[str, str | None]], at: datetime
    ) -> set[str]:
        """The messages (id, provider id) the channel took, in one statement; the ids
        recorded (those no longer being sent, their lease ran out or recorded already, are
        left out)."""
        if not sent:
            return set()
        rows = await self.conn.fetch(
            """UPDATE messages AS m
               SET status = 'sent', provider_id = s.provider_id, sent_at = $3,
                   last_error = NULL, lease_until = NULL, updated_at = $3
               FROM unnest($1::text[], $2::text[]) AS s (id, provider_id)
               WHERE m.id = s.id AND m.status = 'sending'
               RETURNING m.id""",
            [message_id for message_id, _ in sent],
            [provider_id for _, provider_id in sent],
            at,
        )
        return {r["id"] for r in rows}

    async def record_failed(self, message_id: str, reason: str, at: datetime) -> Message | None:
        return await self._record(
            message_id, "status = 'failed', last_error = $3, failed_at = $2", at, reason
        )

    async def record_deferred(
        self, message_id: str, reason: str, next_attempt_at: datetime, at: datetime
    ) -> Message | None:
        return await self._record(
            message_id,
            "status = 'retrying', last_error = $3, next_attempt_at = $4",
            at,
            reason,
            next_attempt_at,
        )

    async def _record(
        self, message_id: str, change: str, at: datetime, *values: object
    ) -> Message | None:
        """The end of a try, only for a message still being sent (None otherwise: its
        lease ran out and it waits again, or it was recorded already)."""
        row = await self.conn.fetchrow(
            f"""UPDATE messages SET {change}, lease_until = NULL, updated_at = $2
                WHERE id = $1 AND status = 'sending'
                RETURNING {_COLUMNS}""",
            message_id,
            at,
            *values,
        )
        return Message.from_row(row) if row else None

    async def record_final_status(
        self, provider_id: str, status: MessageStatus, error: str | None, at: datetime
    ) -> Message | None:
        """What the provider says became of a sent message, once: None for a message not
        sent (yet) or already final."""
        at_column = "delivered_at" if status is MessageStatus.DELIVERED else "failed_at"
        row = await self.conn.fetchrow(
            f"""UPDATE messages
                SET status = $2, {at_column} = $4, last_error = coalesce($3, last_error),
                    updated_at = $4
                WHERE provider_id = $1 AND status = 'sent'
                RETURNING {_COLUMNS}""",
            provider_id,
            status.value,
            error,
            at,
        )
        return Message.from_row(row) if row else None

    async def by_provider_id(self, provider_id: str) -> Message | None:
        row = await self.conn.fetchrow(
            f"SELECT {_COLUMNS} FROM messages WHERE provider_id = $1", provider_id
        )
        return Message.from_row(row) if row else None

    async def sending_any(self) -> bool:
        """Whether any message is being sent (its provider id not recorded yet)."""
        return bool(
            await self.conn.fetchval(
                "SELECT EXISTS (SELECT 1 FROM messages WHERE status = 'sending')"
            )
        )

    async def locale_of(self, tenant_id: str, enrolment_id: str) -> str | None:
        """The language the person's last link was sent in (a welcome follows it)."""
        value: str | None = await self.conn.fetchval(
            """SELECT locale FROM messages
               WHERE tenant_id = $1 AND enrolment_id = $2 AND account_id IS NULL
               ORDER BY created_at DESC LIMIT 1""",
            tenant_id,
            enrolment_id,
        )
        return value
