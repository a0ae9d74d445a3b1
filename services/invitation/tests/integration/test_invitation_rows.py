"""The invitations' SQL over a real PostgreSQL: columns written and read by name, the time
always the caller's, and the single-use compare-and-set."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from invitation.app import MIGRATIONS
from invitation.domain.links import hash_token
from invitation.domain.statuses import InvitationStatus
from invitation.store import InvitationTransaction
from invitation.store.invitations import Invitation, NewInvitation
from onboarding_kit.db import KIT_MIGRATIONS, apply_migrations

pytestmark = pytest.mark.integration

ISSUED_AT = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
EXPIRES_AT = ISSUED_AT + timedelta(hours=24)


@pytest.fixture
async def tx(database: str) -> AsyncIterator[InvitationTransaction]:
    conn = await asyncpg.connect(database)
    try:
        await apply_migrations(conn, [("kit", KIT_MIGRATIONS), ("invitation", MIGRATIONS)])
        yield InvitationTransaction(conn)
    finally:
        await conn.close()


def new_invitation(n: int, **changes: object) -> NewInvitation:
    fields: dict[str, object] = {
        "id": f"inv-{n}",
        "tenant_id": "tenant-1",
        "enrolment_id": f"enr-{n}",
        "email": f"person{n}@example.org",
        "name": f"Person {n}",
        "course": "Biology 101",
        "channel": "sms",
        "phone": f"+44770090{n:04d}",
        "status": InvitationStatus.PENDING,
        "send_count": 1,
        "resend_count": 0,
        "reminder_count": 0,
        "last_sent_at": ISSUED_AT,
        "last_reminded_at": None,
        "expires_at": EXPIRES_AT,
        "ttl_hours": 24.0,
        "max_resends": 3,
        "self_service_resend": False,
        "correlation_id": f"corr-{n}",
        **changes,
    }
    return NewInvitation(Invitation(**fields), hash_token(f"tok-{n}"))


async def row_of(tx: InvitationTransaction, invitation_id: str) -> asyncpg.Record:
    return await tx.conn.fetchrow("SELECT * FROM invitations WHERE id = $1", invitation_id)


async def test_every_column_is_written_from_the_field_of_its_name(
    tx: InvitationTransaction,
) -> None:
    new = [
        new_invitation(1),
        new_invitation(
            2,
            channel="email",
            phone=None,
            send_count=2,
            ttl_hours=0.5,
            max_resends=0,
            self_service_resend=True,
        ),
    ]
    assert await tx.invitations.create_many(new, ISSUED_AT) == {"inv-1", "inv-2"}
    for n in new:
        row = await row_of(tx, n.invitation.id)
        for name, value in n.columns().items():
            assert row[name] == value, name
        assert (row["created_at"], row["updated_at"]) == (ISSUED_AT, ISSUED_AT)
        assert (row["accepted_at"], row["account_id"], row["accepted_by"]) == (None,) * 3
        assert await tx.invitations.by_token_hash(n.token_hash) == n.invitation


async def test_an_enrolment_keeps_its_first_invitation(tx: InvitationTransaction) -> None:
    assert await tx.invitations.create_many([new_invitation(1)], ISSUED_AT) == {"inv-1"}
    again = new_invitation(9, enrolment_id="enr-1")
    assert await tx.invitations.create_many([again, new_invitation(2)], ISSUED_AT) == {"inv-2"}
    assert await row_of(tx, "inv-9") is None
    assert await tx.invitations.create_many([], ISSUED_AT) == set()


async def test_redeem_is_a_compare_and_set_judged_at_the_given_time(
    tx: InvitationTransaction,
) -> None:
    await tx.invitations.create_many([new_invitation(1), new_invitation(2)], ISSUED_AT)
    token_hash = hash_token("tok-1")
    # At or after its expiry a pending link is not redeemed, whatever the database's clock.
    assert await tx.invitations.redeem(token_hash, EXPIRES_AT, "acc-1") is None
    at = ISSUED_AT + timedelta(hours=1)
    redeemed = await tx.invitations.redeem(token_hash, at, "acc-1")
    assert redeemed is not None
    invitation, first_time = redeemed
    assert (invitation.id, invitation.status, first_time) == ("inv-1", "accepted", True)
    row = await row_of(tx, "inv-1")
    assert (row["accepted_at"], row["accepted_by"], row["updated_at"]) == (at, "acc-1", at)

    later = at + timedelta(minutes=1)
    assert await tx.invitations.redeem(token_hash, later, "acc-1") == (invitation, False)
    assert await tx.invitations.redeem(token_hash, later, "acc-2") is None
    assert await tx.invitations.redeem(token_hash, later) is None
    assert (await row_of(tx, "inv-1"))["accepted_at"] == at, "the first accept stands"


async def test_revoke_withdraws_a_pending_or_expired_invitation_once(
    tx: InvitationTransaction,
) -> None:
    await tx.invitations.create_many([new_invitation(1)], ISSUED_AT)
    at = ISSUED_AT + timedelta(hours=2)
    revoked = await tx.invitations.revoke("enr-1", at)
    assert revoked is not None
    assert revoked.status is InvitationStatus.REVOKED
    assert (await row_of(tx, "inv-1"))["updated_at"] == at
    assert await tx.invitations.revoke("enr-1", at) is None
    assert await tx.invitations.redeem(hash_token("tok-1"), at) is None
    await tx.invitations.create_many([new_invitation(2, status=InvitationStatus.EXPIRED)], at)
    revoked = await tx.invitations.revoke("enr-2", at)
    assert revoked is not None and revoked.status is InvitationStatus.REVOKED


async def test_record_account_stamps_the_given_time(tx: InvitationTransaction) -> None:
    await tx.invitations.create_many([new_invitation(1)], ISSUED_AT)
    at = ISSUED_AT + timedelta(hours=3)
    await tx.invitations.record_account("inv-1", "acc-1", at)
    row = await row_of(tx, "inv-1")
    assert (row["account_id"], row["updated_at"]) == ("acc-1", at)
