"""InvitationIssued events as the invitation service publishes them, with sealed links; the
SMTP sink; the notification service under test."""

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer, ConsumerRecord
from fastapi import FastAPI
from notification.app import create_app
from notification.settings import NotificationSettings
from onboarding_contracts import (
    Envelope,
    InvitationIssued,
    NotificationSent,
    Origin,
    Topic,
    parse_event,
)
from onboarding_contracts.events import (
    Channel,
    InvitationIssuedData,
    link_context_of,
    sealed_link_context,
)
from onboarding_devtools.testing import read_topic
from onboarding_devtools.testing.mail import Sink
from onboarding_kit.kafka import TopicNames
from onboarding_kit.runtime import runtime_of
from onboarding_kit.sealing import Sealer, new_key

EXPIRES = datetime.now(UTC).replace(microsecond=0) + timedelta(days=7)


def link_for(invitation_id: str, send_count: int) -> str:
    # No '&' in it: the HTML part would escape it, and we look for the link verbatim.
    return f"https://join.example.org/accept?token={invitation_id}-{send_count}-{uuid.uuid4().hex}"


class Invitations:
    """Issues invitations sealed with `key`, the key the notification service is given."""

    def __init__(self, key: str) -> None:
        self.key = key

    def issued(
        self,
        invitation_id: str,
        *,
        send_count: int = 1,
        link: str | None = None,
        email: str = "ann@example.org",
        name: str = "Ann Lee",
        channel: Channel = "email",
        phone: str | None = None,
        key: str | None = None,
        tenant_id: str = "tenant-1",
        reason: str = "invitation",
        locale: str | None = None,
    ) -> InvitationIssued:
        link = link or link_for(invitation_id, send_count)
        origin = Origin(
            source="/onboarding/invitation",
            tenant_id=tenant_id,
            correlation_id=f"corr-{uuid.uuid4().hex[:8]}",
            causation_id=f"cause-{uuid.uuid4().hex[:8]}",
        )
        return InvitationIssued.new(
            origin,
            InvitationIssuedData(
                invitation_id=invitation_id,
                enrolment_id=f"enr-{invitation_id}",
                email=email,
                name=name,
                course="Biology 101",
                expires_at=EXPIRES,
                send_count=send_count,
                channel=channel,
                phone=phone,
                reason=reason,
                locale=locale,
                sealed_link=Sealer(key or self.key).seal(
                    link,
                    context=sealed_link_context(
                        tenant_id=origin.tenant_id,
                        invitation_id=invitation_id,
                        send_count=send_count,
                        email=email,
                        phone=phone,
                    ),
                ),
            ),
        )

    @staticmethod
    def republished(event: InvitationIssued) -> InvitationIssued:
        """What a republish of the same link looks like: a new event id, the same data."""
        return event.model_copy(update={"id": str(uuid.uuid4())})

    def link_of(self, event: InvitationIssued) -> str:
        return Sealer(self.key).unseal(event.data.sealed_link, context=link_context_of(event))


@pytest.fixture
def invitations() -> Invitations:
    return Invitations(new_key())


@pytest.fixture
def sink(tmp_path: Path, unused_port: int) -> Iterator[Sink]:
    """The SMTP sink on a free port, not started: a test starts it when it wants mail."""
    sink = Sink(tmp_path / "mail", unused_port)
    yield sink
    sink.stop()


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
                send_poll_interval_s=0.1,
                retry_base_s=0.05,
                retry_cap_s=0.5,
                **settings,
            )
        )

    async def publish(self, *events: Envelope) -> None:
        for event in events:
            await self.producer.send_and_wait(
                self.topics.name(Topic.INVITATION), event.to_json(), key=event.subject.encode()
            )

    async def notifications(
        self, count: int, kind: type[Envelope] = NotificationSent, timeout_s: float = 20
    ) -> list[Any]:
        """The first `count` events of this type on the notification topic."""
        records = await read_topic(
            self.kafka,
            [self.topics.name(Topic.NOTIFICATION)],
            until=lambda rs: len(_of(rs, kind)) >= count,
            timeout_s=timeout_s,
        )
        return _of(records, kind)

    async def messages(self, app: FastAPI) -> list[Any]:
        return await runtime_of(app).pool.fetch(
            "SELECT * FROM messages ORDER BY invitation_id, send_count"
        )

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


def _of(records: list[ConsumerRecord[bytes, bytes]], kind: type[Envelope]) -> list[Any]:
    events = [parse_event(r.value) for r in records]
    return [e for e in events if isinstance(e, kind)]
