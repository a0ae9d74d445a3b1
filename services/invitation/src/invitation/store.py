"""The invitation service's SQL. Outbox writes go through the kit."""

from collections.abc import Sequence
from dataclasses import astuple, dataclass
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

    async def create_many(
        self, invitations: Sequence[tuple[Invitation, str | None, bytes]]
    ) -> set[str]:
        """Insert (invitation, phone, token hash) rows; return the ids inserted. An
        enrolment that already has an invitation keeps it, and its new row is skipped."""
        if not invitations:
            return set()
        columns = list(
            zip(*[(*astuple(i), phone, token) for i, phone, token in invitations], strict=True)
        )
        rows = await self.conn.fetch(
            f"""INSERT INTO invitations ({_COLUMNS}, phone, token_hash)
                SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
                                     $6::text[], $7::text[], $8::text[], $9::int[],
                                     $10::timestamptz[], $11::text[], $12::text[], $13::bytea[])
                ON CONFLICT (enrolment_id) DO NOTHING
                RETURNING id""",
            *[list(column) for column in columns],
        )
        return {row["id"] for row in rows}

    async def by_token_hash(self, token_hash: bytes) -> Invitation | None:
        row = await self.conn.fetchrow(
            f"SELECT {_COLUMNS} FROM invitations WHERE token_hash = $1", token_hash
        )
        return Invitation.from_row(row) if row else None

    async def redeem(
        self, token_hash: bytes, now: datetime, account_id: str | None = None
    ) -> tuple[Invitation, bool] | None:
        """The single-use compare-and-set: only a pending, unexpired invitation whose current
        token this is becomes accepted; of concurrent calls, exactly one gets it (True). A
        repeat for the account it was accepted for gets it again (False): its first answer
        may have been lost."""
        row = await self.conn.fetchrow(
            f"""UPDATE invitations
                SET status = 'accepted', accepted_at = $2, accepted_by = $3, updated_at = $2
                WHERE token_hash = $1 AND status = 'pending' AND expires_at > $2
                RETURNING {_COLUMNS}""",
            token_hash,
            now,
            account_id,
        )
        if row is not None:
            return Invitation.from_row(row), True
        if account_id is None:
            return None
        row = await self.conn.fetchrow(
            f"""SELECT {_COLUMNS} FROM invitations
                WHERE token_hash = $1 AND status = 'accepted' AND accepted_by = $2""",
            token_hash,
            account_id,
        )
        return (Invitation.from_row(row), False) if row else None

    async def revoke(self, enrolment_id: str, now: datetime) -> Invitation | None:
        row = await self.conn.fetchrow(
            f"""UPDATE invitations SET status = 'revoked', updated_at = $2
                WHERE enrolment_id = $1 AND status = 'pending'
                RETURNING {_COLUMNS}""",
            enrolment_id,
            now,
        )
        return Invitation.from_row(row) if row else None

    async def record_account(self, invitation_id: str, account_id: str) -> None:
        await self.conn.execute(
            "UPDATE invitations SET account_id = $2, updated_at = now() WHERE id = $1",
            invitation_id,
            account_id,
        )
