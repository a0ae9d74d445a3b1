"""The invitation service in-process for the integration tests, and what a test does with
it: publish what the enrolment service would, call the internal routes, read back what the
service stored and published."""

import asyncio
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from fastapi import FastAPI
from onboarding_contracts import (
    EnrolmentCreated,
    Envelope,
    InvitationIssued,
    Origin,
    Topic,
    parse_event,
)
from onboarding_contracts.events import EnrolmentCreatedData, LinkPolicy, link_context_of
from onboarding_contracts.internal.invitations import (
    INSPECT_PATH,
    NEW_LINK_PATH,
    PREFIX,
    REDEEM_PATH,
    RESEND_PATH,
    TOKEN_HEADER,
)
from onboarding_devtools.testing import eventually, first_event, query
from onboarding_kit.kafka import TopicNames
from onboarding_kit.sealing import Sealer

INTERNAL_TOKEN = "internal-token-for-the-tests-0123456789"
AUTH = {TOKEN_HEADER: INTERNAL_TOKEN}
INSPECT = PREFIX + INSPECT_PATH
REDEEM = PREFIX + REDEEM_PATH
RESEND = PREFIX + RESEND_PATH
NEW_LINK = PREFIX + NEW_LINK_PATH
PROBLEM_JSON = "application/problem+json"
REGISTRATION_URL = "https://join.example.org"


def enrolment_created(
    enrolment_id: str | None = None,
    *,
    invite: bool = True,
    tenant_id: str = "tenant-1",
    link_policy: LinkPolicy | None = None,
    course_title: str | None = None,
    phone: str | None = None,
    locale: str | None = None,
) -> EnrolmentCreated:
    enrolment_id = enrolment_id or f"enr-{uuid.uuid4().hex[:10]}"
    return EnrolmentCreated.new(
        Origin("/test", tenant_id, f"corr-{uuid.uuid4().hex[:10]}"),
        EnrolmentCreatedData(
            enrolment_id=enrolment_id,
            email=f"{enrolment_id}@example.org",
            name="Ada Lovelace",
            external_id=enrolment_id,
            role="learner",
            course="Analytical Engines 101",
            course_title=course_title,
            phone=phone,
            locale=locale,
            invite=invite,
            link_policy=link_policy,
        ),
    )


@dataclass
class MovableClock:
    """The real time, moved on by `offset` (the service's clock in tests that need an hour
    to pass)."""

    offset: timedelta = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


@dataclass
class RecordingTokens:
    """The service's token factory, keeping every token it made (tried or sent)."""

    made: list[str] = field(default_factory=list)
    make: Callable[[], str] = lambda: uuid.uuid4().hex + uuid.uuid4().hex

    def __call__(self) -> str:
        self.made.append(self.make())
        return self.made[-1]


@dataclass
class Service:
    """The running invitation service and what a test needs around it."""

    app: FastAPI
    client: httpx.AsyncClient
    database: str
    kafka: str
    topics: TopicNames
    producer: AIOKafkaProducer
    sealer: Sealer
    clock: MovableClock

    @property
    def invitation_topic(self) -> str:
        return self.topics.name(Topic.INVITATION)

    async def publish(self, event: Envelope) -> None:
        topic = Topic.REGISTRATION if event.type.startswith("onboarding.reg") else Topic.ENROLMENT
        await self.producer.send_and_wait(
            self.topics.name(topic), value=event.to_json(), key=event.subject.encode()
        )

    async def issued_for(
        self, enrolment_id: str, send_count: int = 1
    ) -> tuple[InvitationIssued, ConsumerRecord]:
        """The InvitationIssued of this enrolment's `send_count`th link, and its record."""
        return await first_event(
            self.kafka,
            self.invitation_topic,
            InvitationIssued,
            where=lambda e: (e.data.enrolment_id, e.data.send_count) == (enrolment_id, send_count),
        )

    def token_of(self, issued: InvitationIssued) -> str:
        link = self.sealer.unseal(issued.data.sealed_link, context=link_context_of(issued))
        assert link.startswith(f"{REGISTRATION_URL}/join?")
        [token] = parse_qs(urlsplit(link).query)["token"]
        return token

    async def invite(
        self, link_policy: LinkPolicy | None = None, **details: str
    ) -> tuple[EnrolmentCreated, InvitationIssued, str]:
        """Enrol someone (with these `course_title`, `phone`, `locale`) and return the raw
        token of the link they were sent."""
        event = enrolment_created(link_policy=link_policy, **details)
        await self.publish(event)
        issued, _ = await self.issued_for(event.data.enrolment_id)
        return event, issued, self.token_of(issued)

    async def resend(self, enrolment: EnrolmentCreated, **policy: Any) -> httpx.Response:
        body = {
            "tenant_id": enrolment.tenant_id,
            "enrolment_id": enrolment.data.enrolment_id,
            "link_policy": policy,
        }
        return await self.client.post(RESEND, json=body, headers=AUTH)

    async def inspect(self, token: str) -> httpx.Response:
        return await self.client.post(INSPECT, json={"token": token}, headers=AUTH)

    async def redeem(self, token: str) -> httpx.Response:
        return await self.client.post(REDEEM, json={"token": token}, headers=AUTH)

    async def new_link(self, token: str) -> httpx.Response:
        return await self.client.post(NEW_LINK, json={"token": token}, headers=AUTH)

    def record_tokens(self) -> RecordingTokens:
        """From now on, every token the service makes is kept in the returned list."""
        tokens = RecordingTokens()
        deps = self.app.state.dependencies
        self.app.state.dependencies = replace(deps, links=replace(deps.links, new_token=tokens))
        return tokens

    async def fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        return await query(self.database, sql, *args)

    async def outbox_is_empty(self) -> bool:
        return (await self.fetch("SELECT count(*) AS n FROM outbox"))[0]["n"] == 0

    async def published(self) -> list[ConsumerRecord]:
        """Everything on the invitation topic once the outbox has drained: every event the
        service ever committed is then on the broker, so none can arrive later."""
        await eventually(self.outbox_is_empty, timeout_s=10)
        return await read_to_end(self.kafka, self.invitation_topic, self.producer)

    async def published_events(self, kind: type[Envelope]) -> list[Any]:
        return [parse_event(r.value) for r in of_type(await self.published(), kind.event_type)]


async def read_to_end(
    bootstrap_servers: str, topic: str, producer: AIOKafkaProducer
) -> list[ConsumerRecord]:
    """Every record of every partition of `topic`, up to the end offsets at call time."""
    partitions = [TopicPartition(topic, p) for p in await producer.partitions_for(topic)]
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers, enable_auto_commit=False, group_id=None
    )
    await consumer.start()
    try:
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        records: list[ConsumerRecord] = []
        async with asyncio.timeout(10):
            while [p for p in partitions if await consumer.position(p) < ends[p]]:
                for batch in (await consumer.getmany(timeout_ms=200)).values():
                    records.extend(batch)
        return records
    finally:
        await consumer.stop()


def of_type(records: list[ConsumerRecord], event_type: str) -> list[ConsumerRecord]:
    return [r for r in records if json.loads(r.value)["type"] == event_type]
