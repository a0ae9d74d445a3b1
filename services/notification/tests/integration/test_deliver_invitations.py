"""Delivering invitations, against the real database and a fake email channel."""

from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from email import message_from_bytes

import asyncpg
import pytest
from notification.app import MIGRATIONS
from notification.domain.ids import notification_id
from notification.domain.mime import OutgoingEmail
from notification.errors import DeliveryUnavailable, MessageRejected
from notification.store import NotificationTransaction
from notification.use_cases.deliver_invitations import SOURCE, deliver_invitations
from onboarding_contracts import (
    Envelope,
    InvitationIssued,
    NotificationFailed,
    NotificationSent,
    parse_event,
)
from onboarding_kit.db import KIT_MIGRATIONS, apply_migrations, create_pool
from onboarding_kit.sealing import Sealer
from onboarding_kit.uow import UnitOfWork

pytestmark = pytest.mark.integration

NOW = datetime(2025, 3, 2, 9, 30, tzinfo=UTC)
SENDER = "Onboarding <no-reply@onboarding.local>"


class FakeEmailChannel:
    """An EmailChannel that keeps what it is given and refuses what it is told to."""

    def __init__(self, refusals: dict[str, Exception] | None = None) -> None:
        self.refusals = refusals or {}
        self.sent: list[OutgoingEmail] = []

    async def send(self, message: OutgoingEmail) -> None:
        if message.recipient in self.refusals:
            raise self.refusals[message.recipient]
        self.sent.append(message)

    def recipients(self) -> list[str]:
        return sorted(m.recipient for m in self.sent)


@pytest.fixture
async def pool(database: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(database, size=2)
    async with pool.acquire() as conn:
        await apply_migrations(conn, [("kit", KIT_MIGRATIONS), ("notification", MIGRATIONS)])
    yield pool
    await pool.close()


async def deliver(
    pool: asyncpg.Pool, events: Sequence[InvitationIssued], email: FakeEmailChannel, key: str
) -> None:
    """One consumer transaction: the use case's effects commit only if it returns."""
    uow = UnitOfWork(lambda: pool, NotificationTransaction)
    async with uow() as tx:
        await deliver_invitations(
            tx, events, email=email, sealer=Sealer(key), sender=SENDER, clock=lambda: NOW
        )


async def outbox(pool: asyncpg.Pool) -> list[Envelope]:
    return [parse_event(r["payload"]) for r in await pool.fetch("SELECT payload FROM outbox")]


async def notifications(pool: asyncpg.Pool) -> list[asyncpg.Record]:
    return await pool.fetch(
        "SELECT recipient, status, last_error, sent_at, created_at FROM notifications "
        "ORDER BY recipient"
    )


async def test_a_refused_message_fails_alone_and_the_rest_of_the_batch_is_sent(
    pool: asyncpg.Pool, invitations
) -> None:
    ann, bo, cy = (
        invitations.issued(f"inv-{name}", email=f"{name}@example.org")
        for name in ("ann", "bo", "cy")
    )
    email = FakeEmailChannel({"bo@example.org": MessageRejected("550 no such user")})

    await deliver(pool, [ann, bo, cy], email, invitations.key)

    assert email.recipients() == ["ann@example.org", "cy@example.org"]
    rows = await notifications(pool)
    assert [(r["recipient"], r["status"], r["last_error"]) for r in rows] == [
        ("ann@example.org", "sent", None),
        ("bo@example.org", "failed", "550 no such user"),
        ("cy@example.org", "sent", None),
    ]
    assert {r["created_at"] for r in rows} == {NOW}, "the claim is timed by the clock"
    assert [r["sent_at"] for r in rows] == [NOW, None, NOW]

    events = await outbox(pool)
    sent = [e for e in events if isinstance(e, NotificationSent)]
    failed = [e for e in events if isinstance(e, NotificationFailed)]
    assert sorted(e.causation_id or "" for e in sent) == sorted([ann.id, cy.id])
    assert all(e.data.sent_at == NOW and e.source == SOURCE for e in sent)
    assert len(failed) == 1
    (refusal,) = failed
    assert refusal.data.invitation_id == "inv-bo"
    assert refusal.data.enrolment_id == bo.data.enrolment_id
    assert refusal.data.reason == "550 no such user"
    assert refusal.data.attempts == 1
    assert refusal.subject == refusal.data.notification_id
    assert (refusal.tenant_id, refusal.correlation_id, refusal.causation_id) == (
        bo.tenant_id,
        bo.correlation_id,
        bo.id,
    )


async def test_a_mail_server_that_cannot_take_messages_fails_the_whole_batch_for_retry(
    pool: asyncpg.Pool, invitations
) -> None:
    ann = invitations.issued("inv-ann", email="ann@example.org")
    bo = invitations.issued("inv-bo", email="bo@example.org")
    busy = FakeEmailChannel({"bo@example.org": DeliveryUnavailable("451 try again later")})

    with pytest.raises(DeliveryUnavailable):
        await deliver(pool, [ann, bo], busy, invitations.key)

    assert await notifications(pool) == [], "nothing claimed: the retry sends both"
    assert await outbox(pool) == []

    working = FakeEmailChannel()
    await deliver(pool, [ann, bo], working, invitations.key)
    assert working.recipients() == ["ann@example.org", "bo@example.org"]
    assert [r["status"] for r in await notifications(pool)] == ["sent", "sent"]


async def test_one_message_per_link_however_often_it_is_issued(
    pool: asyncpg.Pool, invitations
) -> None:
    first = invitations.issued("inv-ann", send_count=1)
    resend = invitations.issued("inv-ann", send_count=2)
    email = FakeEmailChannel()

    await deliver(pool, [first, invitations.republished(first)], email, invitations.key)
    await deliver(pool, [invitations.republished(first), resend], email, invitations.key)

    ids = [message_from_bytes(m.data)["X-Notification-Id"] for m in email.sent]
    assert ids == [notification_id("inv-ann", 1), notification_id("inv-ann", 2)]
    assert [r["status"] for r in await notifications(pool)] == ["sent", "sent"]
    assert len(await outbox(pool)) == 2


async def test_invitations_by_sms_are_not_delivered_yet(pool: asyncpg.Pool, invitations) -> None:
    email = FakeEmailChannel()

    await deliver(pool, [invitations.issued("inv-sms", channel="sms")], email, invitations.key)

    assert email.sent == []
    assert await notifications(pool) == []
    assert await outbox(pool) == []
