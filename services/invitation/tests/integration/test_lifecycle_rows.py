"""The lifecycle SQL over a real PostgreSQL: each replacement of a link is one
compare-and-set that checks its rule on the row as it is, keeps the replaced hash, and
counts; the sweeper expires what is due and skips what another transaction holds; the
migration backfills what invitations sent before it had."""

import asyncio
import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest
from invitation.app import MIGRATIONS
from invitation.domain.links import hash_token
from invitation.domain.statuses import InvitationStatus
from invitation.store import InvitationTransaction
from invitation.store.lifecycle import NewLink
from onboarding_contracts.events import LinkPolicy
from onboarding_kit.db import KIT_MIGRATIONS, apply_migrations

from .test_invitation_rows import ISSUED_AT, new_invitation

pytestmark = pytest.mark.integration

S = InvitationStatus
LATER = ISSUED_AT + timedelta(hours=30)


@pytest.fixture
async def tx(database: str) -> AsyncIterator[InvitationTransaction]:
    conn = await asyncpg.connect(database)
    try:
        await apply_migrations(conn, [("kit", KIT_MIGRATIONS), ("invitation", MIGRATIONS)])
        yield InvitationTransaction(conn)
    finally:
        await conn.close()


def new_link(token: str, at: datetime = LATER, **policy: object) -> NewLink:
    given = LinkPolicy(**policy)
    return NewLink(
        tenant_id="tenant-1",
        enrolment_id="enr-1",
        token_hash=hash_token(token),
        sent_at=at,
        expires_at=at + timedelta(hours=given.ttl_hours),
        policy=given,
    )


async def replaced_links(tx: InvitationTransaction) -> list[tuple[bytes, str, datetime]]:
    rows = await tx.conn.fetch("SELECT * FROM replaced_links ORDER BY replaced_at")
    return [(bytes(r["token_hash"]), r["invitation_id"], r["replaced_at"]) for r in rows]


async def test_a_resend_replaces_the_link_and_keeps_the_old_hash(
    tx: InvitationTransaction,
) -> None:
    await tx.invitations.create_many([new_invitation(1, status=S.EXPIRED)], ISSUED_AT)
    await tx.conn.execute("UPDATE invitations SET expired_at = expires_at")
    resent = await tx.lifecycle.resend(new_link("new", ttl_hours=2, self_service_resend=True))
    assert resent is not None
    assert (resent.status, resent.send_count, resent.resend_count) == (S.PENDING, 2, 1)
    assert (resent.last_sent_at, resent.expires_at) == (LATER, LATER + timedelta(hours=2))
    assert resent.policy == LinkPolicy(ttl_hours=2, self_service_resend=True)
    assert resent.phone == "+447700900001", "read back: the new link's event needs it"
    assert await replaced_links(tx) == [(hash_token("tok-1"), "inv-1", LATER)]
    assert await tx.invitations.by_token_hash(hash_token("new")) == resent
    assert await tx.invitations.by_token_hash(hash_token("tok-1")) is None
    assert await tx.invitations.replaced_by_hash(hash_token("tok-1")) == resent
    row = await tx.conn.fetchrow("SELECT expired_at, updated_at FROM invitations")
    assert (row["expired_at"], row["updated_at"]) == (None, LATER)


async def test_resends_stop_at_the_policys_limit(tx: InvitationTransaction) -> None:
    await tx.invitations.create_many([new_invitation(1)], ISSUED_AT)
    for n in range(2):
        assert await tx.lifecycle.resend(new_link(f"new-{n}", max_resends=2)) is not None
    assert await tx.lifecycle.resend(new_link("new-2", max_resends=2)) is None
    raised = await tx.lifecycle.resend(new_link("new-2", max_resends=3))
    assert raised is not None and raised.resend_count == 3, "a raised limit allows more"
    assert len(await replaced_links(tx)) == 3


@pytest.mark.parametrize("status", [S.ACCEPTED, S.REVOKED])
async def test_no_replacement_of_a_finished_invitation(
    tx: InvitationTransaction, status: InvitationStatus
) -> None:
    await tx.invitations.create_many([new_invitation(1, status=status)], ISSUED_AT)
    assert await tx.lifecycle.resend(new_link("new")) is None
    assert await tx.lifecycle.remind(new_link("new"), reminded_before=LATER) is None
    assert await tx.lifecycle.resend_on_request(new_link("new"), sent_before=LATER) is None
    assert await replaced_links(tx) == []
    assert await tx.invitations.by_token_hash(hash_token("tok-1")) is not None


async def test_a_persons_request_is_judged_by_the_stored_policy_and_the_last_send(
    tx: InvitationTransaction,
) -> None:
    await tx.invitations.create_many([new_invitation(1)], ISSUED_AT)
    stored = {"self_service_resend": True, "max_resends": 2}  # what the use case passes on
    asked = new_link("n1", **stored)
    assert await tx.lifecycle.resend_on_request(asked, sent_before=LATER) is None, "not allowed"
    await tx.conn.execute("UPDATE invitations SET self_service_resend = true, max_resends = 2")
    too_soon = ISSUED_AT - timedelta(seconds=1)
    assert await tx.lifecycle.resend_on_request(asked, sent_before=too_soon) is None
    assert await tx.lifecycle.resend_on_request(asked, sent_before=ISSUED_AT) is not None
    later = new_link("n2", at=LATER + timedelta(hours=1), **stored)
    resent = await tx.lifecycle.resend_on_request(later, sent_before=LATER)
    assert resent is not None and resent.resend_count == 2
    last = new_link("n3", at=LATER + timedelta(hours=2), **stored)
    assert (
        await tx.lifecycle.resend_on_request(last, sent_before=LATER + timedelta(hours=1)) is None
    )
    assert await tx.invitations.by_token_hash(hash_token("n2")) == resent


async def test_a_reminder_is_not_sent_twice_within_the_gap_and_is_no_resend(
    tx: InvitationTransaction,
) -> None:
    await tx.invitations.create_many([new_invitation(1, resend_count=3)], ISSUED_AT)
    first = await tx.lifecycle.remind(new_link("r1"), reminded_before=LATER - timedelta(hours=1))
    assert first is not None
    assert (first.send_count, first.reminder_count, first.resend_count) == (2, 1, 3)
    assert first.last_reminded_at == LATER
    soon = LATER + timedelta(minutes=59)
    assert (
        await tx.lifecycle.remind(new_link("r2", soon), reminded_before=soon - timedelta(hours=1))
        is None
    )
    hour = LATER + timedelta(hours=1)
    second = await tx.lifecycle.remind(
        new_link("r2", hour), reminded_before=hour - timedelta(hours=1)
    )
    assert second is not None and (second.send_count, second.reminder_count) == (3, 2)
    assert [h for h, _, _ in await replaced_links(tx)] == [hash_token("tok-1"), hash_token("r1")]


async def test_the_sweeper_expires_due_pending_invitations_and_skips_locked_ones(
    tx: InvitationTransaction, database: str
) -> None:
    due = [new_invitation(n, expires_at=ISSUED_AT + timedelta(minutes=n)) for n in range(1, 5)]
    later = new_invitation(8, expires_at=LATER + timedelta(seconds=1))
    accepted = new_invitation(9, status=S.ACCEPTED)
    await tx.invitations.create_many([*due, later, accepted], ISSUED_AT)

    other = await asyncpg.connect(database)
    try:
        async with other.transaction():
            await other.execute("SELECT 1 FROM invitations WHERE id = 'inv-4' FOR UPDATE")
            first = await tx.lifecycle.expire_due(LATER, batch=2)
            rest = await tx.lifecycle.expire_due(LATER, batch=2)
    finally:
        await other.close()
    assert [e.id for e in first] == ["inv-1", "inv-2"], "oldest first"
    assert [e.id for e in rest] == ["inv-3"], "inv-4 was held by another transaction"
    assert first[0].expired_at == ISSUED_AT + timedelta(minutes=1), "when the link died"
    assert (first[0].send_count, first[0].tenant_id, first[0].correlation_id) == (
        1,
        "tenant-1",
        "corr-1",
    )
    assert [e.id for e in await tx.lifecycle.expire_due(LATER, batch=10)] == ["inv-4"]
    rows = await tx.conn.fetch("SELECT id, status, expired_at FROM invitations ORDER BY id")
    assert {r["id"]: r["status"] for r in rows} == {
        **{f"inv-{n}": "expired" for n in range(1, 5)},
        "inv-8": "pending",
        "inv-9": "accepted",
    }


async def test_the_migration_backfills_what_earlier_invitations_had(
    database: str, tmp_path: Path
) -> None:
    before = tmp_path / "before"
    before.mkdir()
    for name in ("0001_invitation.sql", "0002_accepted_by.sql"):
        shutil.copy(MIGRATIONS / name, before / name)
    created = datetime(2025, 1, 1, tzinfo=UTC)
    conn = await asyncpg.connect(database)
    try:
        await apply_migrations(conn, [("kit", KIT_MIGRATIONS), ("invitation", before)])
        await conn.execute(
            """INSERT INTO invitations (id, tenant_id, enrolment_id, email, name, course,
                   channel, status, token_hash, expires_at, correlation_id, created_at)
               VALUES ('inv-1', 't', 'e', 'a@example.org', 'A', 'c', 'email', 'pending',
                   '\\x01', $1, 'corr', $2)""",
            created + timedelta(hours=6),
            created,
        )
        assert await apply_migrations(conn, [("invitation", MIGRATIONS)]) == [
            "invitation/0003_lifecycle.sql",
            "invitation/0004_link_policy_and_course_title.sql",
            "invitation/0005_credentials.sql",
            "invitation/0006_locale.sql",
        ]
        row = await conn.fetchrow("SELECT * FROM invitations")
    finally:
        await conn.close()
    assert row["last_sent_at"] == created
    assert (row["ttl_hours"], row["max_resends"], row["self_service_resend"]) == (6, 3, False)
    assert (row["resend_count"], row["reminder_count"], row["last_reminded_at"]) == (0, 0, None)
    # Sent before tenants chose these: no title (the page shows the code), the defaults.
    assert (row["course_title"], row["activation"], row["username_source"]) == (
        None,
        "auto",
        "chosen",
    )
    assert row["purpose"] == "sign_up", "every earlier link led to the sign-up form"
    assert row["locale"] is None, "earlier people's messages are in English"


async def test_concurrent_replacements_each_keep_the_hash_the_previous_one_left(
    database: str, tx: InvitationTransaction
) -> None:
    # Past the contract's limit on purpose (model_construct): 50 replacements all pass,
    # each on its own connection at the same moment, and the chain of hashes has no gap.
    await tx.invitations.create_many([new_invitation(1)], ISSUED_AT)
    policy = LinkPolicy.model_construct(ttl_hours=24.0, max_resends=50, self_service_resend=False)

    async def resend(n: int) -> int:
        conn = await asyncpg.connect(database)
        try:
            async with conn.transaction():
                link = new_link(f"new-{n}")
                resent = await InvitationTransaction(conn).lifecycle.resend(
                    NewLink(**{**link.__dict__, "policy": policy})
                )
                await asyncio.sleep(0.01)  # hold the row lock a moment: the others queue
            assert resent is not None
            return resent.send_count
        finally:
            await conn.close()

    counts = await asyncio.gather(*(resend(n) for n in range(50)))
    assert sorted(counts) == list(range(2, 52))
    kept = {h for h, _, _ in await replaced_links(tx)}
    current = bytes(await tx.conn.fetchval("SELECT token_hash FROM invitations"))
    issued = {hash_token("tok-1")} | {hash_token(f"new-{n}") for n in range(50)}
    assert len(kept) == 50 and current not in kept
    assert kept | {current} == issued, "every link but the last one is kept as replaced"


async def test_the_title_and_the_whole_policy_are_stored_and_each_new_link_brings_its_own(
    tx: InvitationTransaction,
) -> None:
    first = new_invitation(
        1, course_title="Biology for beginners", activation="admin", username_source="email"
    )
    await tx.invitations.create_many([first], ISSUED_AT)
    stored = await tx.invitations.by_token_hash(hash_token("tok-1"))
    assert stored is not None and stored.course_title == "Biology for beginners"
    assert (stored.activation, stored.username_source) == ("admin", "email")

    resent = await tx.lifecycle.resend(new_link("new", self_service_resend=True))
    assert resent is not None
    assert resent.policy == LinkPolicy(self_service_resend=True), "the request's, all of it"
    assert resent.course_title == "Biology for beginners", "no request changes the title"
    reminded = await tx.lifecycle.remind(
        new_link("newer", at=LATER + timedelta(hours=2), activation="admin"),
        reminded_before=LATER + timedelta(hours=1),
    )
    assert reminded is not None and reminded.activation == "admin"
    row = await tx.conn.fetchrow("SELECT activation, username_source FROM invitations")
    assert (row["activation"], row["username_source"]) == ("admin", "chosen")
    with pytest.raises(asyncpg.CheckViolationError):
        await tx.conn.execute("UPDATE invitations SET activation = 'sometimes'")
