"""The invitation service's SQL. Outbox writes go through the kit."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg
from onboarding_contracts import Envelope
from onboarding_kit import outbox

from invitation.domain import InvitationStatus


@dataclass(frozen=True)
class Invitation:
    id: str
    tenant_id: str
    enrolment_id: str
    email: str
    name: str
    course: str
    channel: str
    status: InvitationStatus
    send_count: int
    expires_at: datetime
    correlation_id: str

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> "Invitation":
        return cls(
            **{
                **{f: row[f] for f in cls.__dataclass_fields__},
                "status": InvitationStatus(row["status"]),
            }
        )


_COLUMNS = ", ".join(Invitation.__dataclass_fields__)


class InvitationStore:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def publish(self, events: Sequence[Envelope]) -> None:
        await outbox.append(self.conn, events)

    async def create(
        self,
        invitation: Invitation,
        *,
        phone: str | None,
        token_hash: bytes,
    ) -> bool:
        """Insert the invitation; False when the enrolment already has one."""
        inserted = await self.conn.fetchval(
            f"""INSERT INTO invitations ({_COLUMNS}, phone, token_hash)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
                ON CONFLICT (enrolment_id) DO NOTHING
                RETURNING true""",
            invitation.id,
            invitation.tenant_id,
            invitation.enrolment_id,
            invitation.email,
            invitation.name,
            invitation.course,
            invitation.channel,
            invitation.status.value,
            invitation.send_count,
            invitation.expires_at,
            invitation.correlation_id,
            phone,
            token_hash,
        )
        return bool(inserted)

    async def by_token_hash(self, token_hash: bytes) -> Invitation | None:
        row = await self.conn.fetchrow(
            f"SELECT {_COLUMNS} FROM invitations WHERE token_hash = $1", token_hash
        )
        return Invitation.from_row(row) if row else None

    async def redeem(self, token_hash: bytes, now: datetime) -> Invitation | None:
        """The single-use compare-and-set: only a pending, unexpired invitation whose current
        token this is becomes accepted. Of concurrent calls, exactly one gets a row back."""
        row = await self.conn.fetchrow(
            f"""UPDATE invitations
                SET status = 'accepted', accepted_at = $2, updated_at = $2
                WHERE token_hash = $1 AND status = 'pending' AND expires_at > $2
                RETURNING {_COLUMNS}""",
            token_hash,
            now,
        )
        return Invitation.from_row(row) if row else None

    async def record_account(self, invitation_id: str, account_id: str) -> None:
        await self.conn.execute(
            "UPDATE invitations SET account_id = $2, updated_at = now() WHERE id = $1",
            invitation_id,
            account_id,
        )
