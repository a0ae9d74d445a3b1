"""Messages sent to people: the state of each, as the notification service's events tell
it (`domain/messages.py` decides how an event moves it)."""

from collections.abc import Collection, Sequence
from dataclasses import fields
from datetime import datetime

import asyncpg

from enrolment.domain.messages import GIVEN_UP, MessageState, MessageStatus
from enrolment.store.rows import Rows

MESSAGE_FIELDS = tuple(f.name for f in fields(MessageState))
_COLUMNS = ", ".join(MESSAGE_FIELDS)
# The SQL type of each field, for the arrays a batch is written with.
_TYPES = {
    "send_count": "int",
    "attempts": "int",
    "created_at": "timestamptz",
    "sent_at": "timestamptz",
    "delivered_at": "timestamptz",
    "failed_at": "timestamptz",
    "next_attempt_at": "timestamptz",
}
_UNNESTED = ", ".join(
    f"${n}::{_TYPES.get(name, 'text')}[]" for n, name in enumerate(MESSAGE_FIELDS, start=1)
)
_AT = f"${len(MESSAGE_FIELDS) + 1}"
_UPDATED = ", ".join(f"{name} = EXCLUDED.{name}" for name in MESSAGE_FIELDS[1:])


def _message(record: asyncpg.Record) -> MessageState:
    values = {f: record[f] for f in MESSAGE_FIELDS}
    values["status"] = MessageStatus(values["status"])
    return MessageState(**values)


class MessageRows(Rows):
    async def for_update(self, notification_ids: Collection[str]) -> dict[str, MessageState]:
        """The messages known of these, locked until the transaction ends."""
        rows = await self.conn.fetch(
            f"""SELECT {_COLUMNS} FROM messages WHERE notification_id = ANY($1::text[])
                ORDER BY notification_id FOR UPDATE""",
            list(notification_ids),
        )
        return {r["notification_id"]: _message(r) for r in rows}

    async def save(self, messages: Sequence[MessageState], at: datetime) -> None:
        """Store each message as it now is, in its enrolment's tenant. A message of an
        enrolment this service does not know is not kept."""
        if not messages:
            return
        await self.conn.execute(
            f"""INSERT INTO messages AS m ({_COLUMNS}, tenant_id, updated_at)
                SELECT u.*, e.tenant_id, {_AT}
                FROM unnest({_UNNESTED}) AS u ({_COLUMNS})
                JOIN enrolments e ON e.id = u.enrolment_id
                ON CONFLICT (notification_id) DO UPDATE SET {_UPDATED},
                    updated_at = EXCLUDED.updated_at""",
            *([getattr(m, name) for m in messages] for name in MESSAGE_FIELDS),
            at,
        )

    async def given_up_of(self, enrolment_ids: Collection[str]) -> list[MessageState]:
        """The messages to these enrolments that were given up, oldest first."""
        rows = await self.conn.fetch(
            f"""SELECT {_COLUMNS} FROM messages
                WHERE enrolment_id = ANY($1::text[]) AND status = ANY($2::text[])
                ORDER BY created_at, notification_id""",
            list(enrolment_ids),
            [s.value for s in GIVEN_UP],
        )
        return [_message(r) for r in rows]

    async def of_enrolment(self, enrolment_id: str) -> list[MessageState]:
        """Every message to the person, oldest first."""
        rows = await self.conn.fetch(
            f"""SELECT {_COLUMNS} FROM messages WHERE enrolment_id = $1
                ORDER BY created_at, notification_id""",
            enrolment_id,
        )
        return [_message(r) for r in rows]
