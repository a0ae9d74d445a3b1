"""The notification service in-process, against real Kafka, PostgreSQL and an SMTP sink."""

import logging
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer, ConsumerRecord
from fastapi import FastAPI
from notification.app import create_app
from notification.settings import NotificationSettings
from onboarding_contracts import InvitationIssued, NotificationSent, Topic, parse_event
from onboarding_devtools.testing import eventually, read_topic, running
from onboarding_devtools.testing.mail import Sink, parts, recipients
from onboarding_kit.kafka import TopicNames
from onboarding_kit.runtime import runtime_of
from onboarding_kit.sealing import new_key

pytestmark = pytest.mark.integration


# --- fixtures ---------------------------------------------------------------------------


class Service:
    """The notification service under test: its settings, and the topics it works on."""

    def __init__(
        self,
        database: str,
        kafka: str,
        topic_prefix: str,
        producer: AIOKafkaProducer,
        sink: Sink,
        key: str,
    ) -> None:
        self.database = database
        self.kafka = kafka
        self.topic_prefix = topic_prefix
        self.topics = TopicNames(topic_prefix)
        self.producer = producer
        self.sink = sink
        self.key = key

    def app(self, **settings: Any) -> FastAPI:
        return create_app(
            NotificationSettings(
                database_url=self.database,
                kafka_bootstrap_servers=self.kafka,
                kafka_topic_prefix=self.topic_prefix,
                kafka_partitions=1,  # one partition: "a following event" really follows
                invitation_link_key=self.key,
                smtp_port=self.sink.port,
                consumer_batch_size=10,
                outbox_poll_interval_s=0.2,
                db_pool_size=4,
                **settings,
            )
        )

    async def publish(self, *events: InvitationIssued) -> None:
        for event in events:
            await self.producer.send_and_wait(
                self.topics.name(Topic.INVITATION), event.to_json(), key=event.subject.encode()
            )

    async def notifications(self, count: int) -> list[ConsumerRecord[bytes, bytes]]:
        """The first `count` events on the notification topic."""
        return await self._read(self.topics.name(Topic.NOTIFICATION), count, timeout_s=20)

    async def dead_letters(
        self, count: int, *, timeout_s: float = 20
    ) -> list[ConsumerRecord[bytes, bytes]]:
        """The first `count` InvitationIssued events set aside."""
        return await self._read(self.topics.dead_letter(Topic.INVITATION), count, timeout_s)

    async def _read(
        self, topic: str, count: int, timeout_s: float
    ) -> list[ConsumerRecord[bytes, bytes]]:
        return await read_topic(
            self.kafka, [topic], until=lambda r: len(r) >= count, timeout_s=timeout_s
        )


@pytest.fixture
def service(
    database: str,
    kafka: str,
    topic_prefix: str,
    producer: AIOKafkaProducer,
    sink: Sink,
    invitations,
) -> Service:
    return Service(database, kafka, topic_prefix, producer, sink, invitations.key)


# --- tests ------------------------------------------------------------------------------


async def test_an_issued_invitation_is_emailed_and_reported_sent(
    service: Service, sink: Sink, invitations
) -> None:
    await sink.start()
    app = service.app()
    event = invitations.issued("inv-1", email="ann@example.org")
    link = invitations.link_of(event)
    async with running(app):
        await service.publish(event)
        emails = await eventually(sink.emails, timeout_s=20)
        sent = await service.notifications(1)
        rows = await runtime_of(app).pool.fetch(
            "SELECT status, recipient, send_count, sent_at FROM notifications"
        )

    assert len(emails) == 1
    email = emails[0]
    assert recipients(email) == ["ann@example.org"]
    text, html = parts(email)
    assert link in text
    assert f'href="{link}"' in html
    assert event.data.sealed_link not in text + html, "the sealed form never reaches the person"

    assert len(sent) == 1
    notification = parse_event(sent[0].value)
    assert isinstance(notification, NotificationSent)
    assert notification.correlation_id == event.correlation_id
    assert notification.causation_id == event.id
    assert notification.tenant_id == event.tenant_id
    assert notification.data.enrolment_id == event.data.enrolment_id
    assert notification.data.invitation_id == "inv-1"
    assert notification.data.channel == "email"
    assert sent[0].key == notification.subject.encode()
    assert email["X-Notification-Id"] == notification.data.notification_id

    assert [(r["status"], r["recipient"], r["send_count"]) for r in rows] == [
        ("sent", "ann@example.org", 1)
    ]
    assert rows[0]["sent_at"] is not None


async def test_one_email_per_link_a_republish_sends_nothing_a_resend_sends_again(
    service: Service, sink: Sink, invitations
) -> None:
    await sink.start()
    app = service.app()
    first = invitations.issued("inv-2", send_count=1)
    again = invitations.republished(first)
    resend = invitations.issued("inv-2", send_count=2)
    async with running(app):
        consumer = runtime_of(app).consumer
        assert consumer is not None
        await service.publish(first)
        await eventually(sink.emails, timeout_s=20)
        # The same link again (new event id, so the inbox does not catch it), then a resend.
        await service.publish(again, resend)
        await eventually(lambda: consumer.stats.applied >= 3, timeout_s=20)
        emails = sink.emails()
        sent = await service.notifications(2)
        rows = await runtime_of(app).pool.fetch(
            "SELECT send_count, status FROM notifications ORDER BY send_count"
        )

    assert consumer.stats.duplicates == 0, "the republish passed the inbox; the claim stopped it"
    assert len(emails) == 2
    links = sorted(parts(e)[0] for e in emails)
    assert sum(invitations.link_of(first) in body for body in links) == 1
    assert sum(invitations.link_of(resend) in body for body in links) == 1
    assert len({e["X-Notification-Id"] for e in emails}) == 2
    assert [(r["send_count"], r["status"]) for r in rows] == [(1, "sent"), (2, "sent")]
    causes = sorted(parse_event(r.value).causation_id or "" for r in sent)
    assert causes == sorted([first.id, resend.id])


async def test_while_the_mail_server_is_down_the_event_waits_and_is_not_dead_lettered(
    service: Service,
    sink: Sink,
    invitations,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # One attempt: were the outage blamed on the event, the first failure would park it.
    app = service.app(consumer_max_attempts=1)
    event = invitations.issued("inv-3", email="bo@example.org", name="Bo Chen")
    caplog.set_level(logging.WARNING, logger="onboarding_kit.consumer")
    async with running(app):
        consumer = runtime_of(app).consumer
        assert consumer is not None
        await service.publish(event)

        def outages() -> int:
            return caplog.text.count("infrastructure unavailable")

        # Tried twice against the dead server, with nothing sent and nothing parked.
        await eventually(lambda: outages() >= 2, timeout_s=20)
        assert sink.emails() == []
        assert consumer.stats.dead_lettered == 0
        await sink.start()
        emails = await eventually(sink.emails, timeout_s=20)
        status = await eventually(
            lambda: runtime_of(app).pool.fetchval("SELECT status FROM notifications"),
            timeout_s=10,
        )
        with pytest.raises(TimeoutError):
            await service.dead_letters(1, timeout_s=1.5)

    assert len(emails) == 1
    assert recipients(emails[0]) == ["bo@example.org"]
    assert invitations.link_of(event) in parts(emails[0])[0]
    assert status == "sent"
    assert consumer.stats.dead_lettered == 0
    assert "event dead-lettered" not in caplog.text


async def test_a_link_that_cannot_be_unsealed_is_dead_lettered_and_the_next_is_delivered(
    service: Service, sink: Sink, invitations
) -> None:
    await sink.start()
    app = service.app(consumer_max_attempts=2)
    foreign = invitations.issued("inv-bad", email="eve@example.org", key=new_key())
    good = invitations.issued("inv-good", email="dan@example.org")
    async with running(app):
        await service.publish(foreign, good)
        dead = await service.dead_letters(1)
        emails = await eventually(sink.emails, timeout_s=20)
        await service.notifications(1)
        rows = await runtime_of(app).pool.fetch("SELECT invitation_id, status FROM notifications")

    assert len(dead) == 1
    assert dead[0].value == foreign.to_json()
    assert dead[0].key == b"inv-bad"
    headers = dict(dead[0].headers)
    assert headers["dlt.error.type"] == b"SealError"
    assert headers["dlt.attempts"] == b"2"
    assert headers["dlt.original.topic"] == service.topics.name(Topic.INVITATION).encode()

    assert len(emails) == 1
    assert recipients(emails[0]) == ["dan@example.org"]
    assert invitations.link_of(good) in parts(emails[0])[0]
    assert [(r["invitation_id"], r["status"]) for r in rows] == [("inv-good", "sent")]
