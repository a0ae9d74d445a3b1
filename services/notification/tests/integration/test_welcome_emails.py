"""The welcome email: AccountActivated in, one email per account out, through the real
broker, database and SMTP sink; and what a refusal by the mail server leaves behind."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer
from fastapi import FastAPI
from notification.app import MIGRATIONS, create_app
from notification.domain.ids import welcome_id
from notification.domain.mime import OutgoingEmail
from notification.errors import MessageRejected
from notification.settings import NotificationSettings
from notification.store import NotificationTransaction
from notification.use_cases.send_welcome_emails import send_welcome_emails
from onboarding_contracts import AccountActivated, Origin, Topic
from onboarding_contracts.events import AccountActivatedData
from onboarding_devtools.testing import eventually, running
from onboarding_devtools.testing.mail import Sink, parts, recipients
from onboarding_kit.db import KIT_MIGRATIONS, apply_migrations, create_pool
from onboarding_kit.kafka import TopicNames
from onboarding_kit.runtime import runtime_of
from onboarding_kit.sealing import new_key
from onboarding_kit.uow import UnitOfWork

pytestmark = pytest.mark.integration

SIGN_IN = "https://learn.example.org/sign-in"
PASSWORD = "correct horse battery"  # what the person chose: never in any message


def activated(
    account_id: str,
    *,
    email: str = "ann@example.org",
    username: str | None = "ann.lee",
    first_name: str | None = "Ann",
) -> AccountActivated:
    origin = Origin(
        source="/onboarding/registration",
        tenant_id="tenant-1",
        correlation_id=f"corr-{uuid.uuid4().hex[:8]}",
    )
    return AccountActivated.new(
        origin,
        AccountActivatedData(
            account_id=account_id,
            enrolment_id=f"enr-{account_id}",
            email=email,
            username=username,
            first_name=first_name,
        ),
    )


def again(event: AccountActivated) -> AccountActivated:
    """The same activation, republished: a new event id, the same data."""
    return event.model_copy(update={"id": str(uuid.uuid4())})


def app_for(database: str, kafka: str, topic_prefix: str, sink: Sink, **settings: Any) -> FastAPI:
    return create_app(
        NotificationSettings(
            database_url=database,
            kafka_bootstrap_servers=kafka,
            kafka_topic_prefix=topic_prefix,
            kafka_partitions=1,
            invitation_link_key=new_key(),
            smtp_port=sink.port,
            sign_in_url=SIGN_IN,
            outbox_poll_interval_s=0.2,
            db_pool_size=4,
            **settings,
        )
    )


async def publish(producer: AIOKafkaProducer, topic_prefix: str, *events: AccountActivated) -> None:
    topic = TopicNames(topic_prefix).name(Topic.REGISTRATION)
    for event in events:
        await producer.send_and_wait(topic, event.to_json(), key=event.subject.encode())


async def test_an_activated_account_gets_one_welcome_email_with_its_username(
    database: str, kafka: str, topic_prefix: str, producer: AIOKafkaProducer, sink: Sink
) -> None:
    await sink.start()
    app = app_for(database, kafka, topic_prefix, sink)
    ann = activated("acc-ann")
    bo = activated("acc-bo", email="bo@example.org", username="bo", first_name=None)
    async with running(app):
        await publish(producer, topic_prefix, ann, again(ann))
        await publish(producer, topic_prefix, bo, again(bo), again(ann))
        emails = await eventually(lambda: len(sink.emails()) >= 2 and sink.emails(), timeout_s=20)
        await asyncio.sleep(1.0)  # were a copy on its way, it would arrive now
        emails = sink.emails()
        pool = runtime_of(app).pool
        rows = await pool.fetch(
            "SELECT id, account_id, recipient, status, sent_at FROM welcome_emails "
            "ORDER BY recipient"
        )
        invitation_rows = await pool.fetchval("SELECT count(*) FROM notifications")
        published = await pool.fetchval("SELECT count(*) FROM outbox")

    assert sorted(r for e in emails for r in recipients(e)) == [
        "ann@example.org",
        "bo@example.org",
    ], "one email per account, however often its activation is seen"
    by_recipient = {recipients(e)[0]: e for e in emails}
    welcome = by_recipient["ann@example.org"]
    assert welcome["Subject"] == "Your account is ready"
    assert welcome["X-Notification-Id"] == welcome_id("acc-ann")
    assert welcome["X-Notification-Kind"] == "welcome"
    assert welcome["Message-ID"] == f"<{welcome_id('acc-ann')}@onboarding.local>"
    text, html = parts(welcome)
    assert "Hello Ann," in text and "Your username: ann.lee" in text
    assert SIGN_IN in text
    assert f'href="{SIGN_IN}"' in html and "ann.lee" in html
    assert "password" not in welcome["Subject"].lower()
    assert PASSWORD not in text + html

    text_bo, _ = parts(by_recipient["bo@example.org"])
    assert "Hello," in text_bo and "Your username: bo" in text_bo

    assert [(r["account_id"], r["recipient"], r["status"]) for r in rows] == [
        ("acc-ann", "ann@example.org", "sent"),
        ("acc-bo", "bo@example.org", "sent"),
    ]
    assert all(r["sent_at"] is not None for r in rows)
    assert invitation_rows == 0, "a welcome is no invitation's delivery"
    assert published == 0, "no NotificationSent: that event speaks of an invitation link"


# --- the use case against the database, with a mail server that refuses ------------------


class RefusingChannel:
    def __init__(self, refuse: set[str]) -> None:
        self.refuse = refuse
        self.sent: list[OutgoingEmail] = []

    async def send(self, message: OutgoingEmail) -> None:
        if message.recipient in self.refuse:
            raise MessageRejected("550 no such user")
        self.sent.append(message)


@pytest.fixture
async def pool(database: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(database, size=2)
    async with pool.acquire() as conn:
        await apply_migrations(conn, [("kit", KIT_MIGRATIONS), ("notification", MIGRATIONS)])
    yield pool
    await pool.close()


async def test_a_refused_welcome_fails_alone_and_is_not_sent_again(pool: asyncpg.Pool) -> None:
    now = datetime(2025, 3, 2, 9, 30, tzinfo=UTC)
    channel = RefusingChannel({"bo@example.org"})
    ann, bo = activated("acc-ann"), activated("acc-bo", email="bo@example.org")
    uow = UnitOfWork(lambda: pool, NotificationTransaction)
    for events in ([ann, bo], [again(ann), again(bo)]):
        async with uow() as tx:
            await send_welcome_emails(
                tx,
                events,
                email=channel,
                sign_in_url=SIGN_IN,
                sender="Onboarding <no-reply@onboarding.local>",
                clock=lambda: now,
            )

    assert [m.recipient for m in channel.sent] == ["ann@example.org"]
    rows = await pool.fetch(
        "SELECT recipient, status, last_error, sent_at FROM welcome_emails ORDER BY recipient"
    )
    assert [tuple(r) for r in rows] == [
        ("ann@example.org", "sent", None, now),
        ("bo@example.org", "failed", "550 no such user", None),
    ]
