"""SQL of the invitations: one row per enrolment, holding the hash of its current link."""

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime

import asyncpg

from invitation.domain.statuses import InvitationStatus


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

    @property
    def invitation_id(self) -> str:
        return self.id

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> "Invitation":
        return cls(**{**{f: row[f] for f in FIELDS}, "status": InvitationStatus(row["status"])})


FIELDS = tuple(f.name for f in fields(Invitation))
_COLUMNS = ", ".join(FIELDS)


@dataclass(frozen=True)
class NewInvitation:
    """An invitation to insert, with what is stored beside it but never read back."""

    invitation: Invitation
    phone: str | None
    token_hash: bytes

    def columns(self) -> dict[str, object]:
        return {
            **{f: getattr(self.invitation, f) for f in FIELDS},
            "phone": self.phone,
            "token_hash": self.token_hash,
        }


# The columns an invitation is inserted with and their SQL types. Each value is looked up
# by its column's name (NewInvitation.columns), never by position.
_INSERTED = {
    "id": "text",
    "tenant_id": "text",
    "enrolment_id": "text",
    "email": "text",
    "name": "text",
    "course": "text",
    "channel": "text",
    "status": "text",
    "send_count": "int",
    "expires_at": "timestamptz",
    "correlation_id": "text",
    "phone": "text",
    "token_hash": "bytea",
}
_INSERTED_NAMES = ", ".join(_INSERTED)
_UNNESTED = ", ".join(f"${n}::{kind}[]" for n, kind in enumerate(_INSERTED.values(), start=1))
_AT = f"${len(_INSERTED) + 1}"


class InvitationRows:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def create_many(self, new: Sequence[NewInvitation], at: datetime) -> set[str]:
        """Insert the invitations; return the ids inserted. An enrolment that already has
        an invitation keeps it, and its new row is skipped."""
        if not new:
            return set()
        rows = [n.columns() for n in new]
        inserted = await self.conn.fetch(
            f"""INSERT INTO invitations ({_INSERTED_NAMES}, created_at, updated_at)
                SELECT {_INSERTED_NAMES}, {_AT}, {_AT}
                FROM unnest({_UNNESTED}) AS issued ({_INSERTED_NAMES})
                ON CONFLICT (enrolment_id) DO NOTHING
                RETURNING id""",
            *[[row[column] for row in rows] for column in _INSERTED],
            at,
        )
        return {row["id"] for row in inserted}

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

    async def record_account(self, invitation_id: str, account_id: str, now: datetime) -> None:
        await self.conn.execute(
            "UPDATE invitations SET account_id = $2, updated_at = $3 WHERE id = $1",
            invitation_id,
            account_id,
            now,
        )
