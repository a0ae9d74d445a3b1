"""SQL of the invitations: one row per enrolment, holding the hash of its current link."""

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime

import asyncpg
from onboarding_contracts.events import (
    Activation,
    Channel,
    LinkPolicy,
    LinkPurpose,
    UsernameSource,
)

from invitation.domain.statuses import InvitationStatus


@dataclass(frozen=True)
class Invitation:
    id: str
    tenant_id: str
    enrolment_id: str
    email: str
    name: str
    course: str
    channel: Channel
    phone: str | None
    status: InvitationStatus
    send_count: int  # links sent so far: 1 + resends + reminders
    resend_count: int
    reminder_count: int
    last_sent_at: datetime
    last_reminded_at: datetime | None
    expires_at: datetime
    # The tenant's link policy the current link was sent under.
    ttl_hours: float
    max_resends: int
    self_service_resend: bool
    correlation_id: str
    # Added with registration and accounts (migration 0004), so with the defaults of rows
    # from before it: no title (the page shows the code), and the policy's defaults.
    course_title: str | None = None
    activation: Activation = "auto"
    username_source: UsernameSource = "chosen"
    # Migration 0005: what the link leads to (set_password once credentials were sent).
    purpose: LinkPurpose = "sign_up"
    # Migration 0006: the language of the person's messages; None: English.
    locale: str | None = None

    @property
    def invitation_id(self) -> str:
        return self.id

    @property
    def username(self) -> str | None:
        """The sign-in name, when it is fixed before the person signs up."""
        return self.email if self.username_source == "email" else None

    @property
    def policy(self) -> LinkPolicy:
        """The tenant's link policy the current link was sent under, all of it."""
        return LinkPolicy(
            ttl_hours=self.ttl_hours,
            max_resends=self.max_resends,
            self_service_resend=self.self_service_resend,
            activation=self.activation,
            username_source=self.username_source,
        )

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> "Invitation":
        return cls(**{**{f: row[f] for f in FIELDS}, "status": InvitationStatus(row["status"])})


FIELDS = tuple(f.name for f in fields(Invitation))
COLUMNS = ", ".join(FIELDS)


def columns_of(alias: str) -> str:
    """The invitation's columns, qualified by a table alias (for joins)."""
    return ", ".join(f"{alias}.{f}" for f in FIELDS)


@dataclass(frozen=True)
class NewInvitation:
    """An invitation to insert, with the hash of its first link (never read back)."""

    invitation: Invitation
    token_hash: bytes

    def columns(self) -> dict[str, object]:
        return {
            **{f: getattr(self.invitation, f) for f in FIELDS},
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
    "phone": "text",
    "status": "text",
    "send_count": "int",
    "resend_count": "int",
    "reminder_count": "int",
    "last_sent_at": "timestamptz",
    "last_reminded_at": "timestamptz",
    "expires_at": "timestamptz",
    "ttl_hours": "float8",
    "max_resends": "int",
    "self_service_resend": "bool",
    "correlation_id": "text",
    "course_title": "text",
    "activation": "text",
    "username_source": "text",
    "purpose": "text",
    "locale": "text",
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
        """The invitation whose current link this is."""
        row = await self.conn.fetchrow(
            f"SELECT {COLUMNS} FROM invitations WHERE token_hash = $1", token_hash
        )
        return Invitation.from_row(row) if row else None

    async def replaced_by_hash(self, token_hash: bytes) -> Invitation | None:
        """The invitation one of whose earlier links, since replaced, this is."""
        row = await self.conn.fetchrow(
            f"""SELECT {columns_of("i")} FROM replaced_links AS r
                JOIN invitations AS i ON i.id = r.invitation_id
                WHERE r.token_hash = $1""",
            token_hash,
        )
        return Invitation.from_row(row) if row else None

    async def of_enrolment(self, tenant_id: str, enrolment_id: str) -> Invitation | None:
        row = await self.conn.fetchrow(
            f"SELECT {COLUMNS} FROM invitations WHERE tenant_id = $1 AND enrolment_id = $2",
            tenant_id,
            enrolment_id,
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
                RETURNING {COLUMNS}""",
            token_hash,
            now,
            account_id,
        )
        if row is not None:
            return Invitation.from_row(row), True
        if account_id is None:
            return None
        row = await self.conn.fetchrow(
            f"""SELECT {COLUMNS} FROM invitations
                WHERE token_hash = $1 AND status = 'accepted' AND accepted_by = $2""",
            token_hash,
            account_id,
        )
        return (Invitation.from_row(row), False) if row else None

    async def revoke(self, enrolment_id: str, now: datetime) -> Invitation | None:
        """Withdraw an invitation that is not accepted: pending, or expired (which a resend
        could otherwise bring back)."""
        row = await self.conn.fetchrow(
            f"""UPDATE invitations SET status = 'revoked', updated_at = $2
                WHERE enrolment_id = $1 AND status IN ('pending', 'expired')
                RETURNING {COLUMNS}""",
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
