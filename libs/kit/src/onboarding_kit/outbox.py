"""Transactional outbox.

`append` writes events in the caller's transaction, so the state change and the events it
causes commit or vanish together. `OutboxRelay` publishes committed rows to Kafka, keyed by
the event subject (the aggregate id), and deletes them once the broker acknowledged.

An event the broker can never take (larger than its limit, an invalid topic) is moved to
`outbox_dead` with the error, and the relay carries on: one bad row never stalls every
tenant's events behind it. `append` refuses an event over `MAX_EVENT_BYTES` in the first
place, so the request or handler that made it fails instead.

The relay wakes on NOTIFY (sent by `append`, delivered at commit) for low latency, and polls
as a fallback. Each replica of a service runs a relay, but one publishes at a time: a batch
is claimed under a transaction-scoped advisory lock, oldest rows first, `FOR UPDATE SKIP
LOCKED`. So no row is published twice, one aggregate's events reach Kafka in the order they
were committed, and when a replica stops another takes over at its next wake-up.

(Letting relays publish side by side would need a per-key rule in the claim, such as "no
earlier row of the same key waiting"; PostgreSQL may plan that as a scan per row once it has
seen an empty outbox, which turns a 10,000-row drain from one second into a minute. One
relay already publishes far faster than a service writes.)
"""

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

import asyncpg
from aiokafka import AIOKafkaProducer
from aiokafka.errors import (
    InvalidTopicError,
    MessageSizeTooLargeError,
    RecordListTooLargeError,
    RecordTooLargeError,
    TopicAuthorizationFailedError,
)
from onboarding_contracts import Envelope, topic_of
from onboarding_contracts.serialised import SerialisedEvent

from onboarding_kit import tracing
from onboarding_kit.errors import Problem
from onboarding_kit.kafka import TopicNames
from onboarding_kit.milestones import Milestones
from onboarding_kit.wakeup import Wakeup, notify

log = logging.getLogger(__name__)

CHANNEL = "outbox"
CONTENT_TYPE = b"application/cloudevents+json"


_COLUMNS = ("topic", "key", "event_id", "event_type", "payload", "trace_context")
_COPY_FROM = 100  # rows; below this an INSERT is cheaper than setting up a COPY
# Below the producer's request limit and the broker's message.max.bytes (both 1 MiB by
# default), with room for the key and headers.
MAX_EVENT_BYTES = 900_000

# The broker will refuse these the same way however often they are sent.
_NEVER_PUBLISHABLE = (
    MessageSizeTooLargeError,
    RecordTooLargeError,
    RecordListTooLargeError,
    InvalidTopicError,
    TopicAuthorizationFailedError,
    ValueError,
    TypeError,
)


class EventTooLarge(Problem):
    """The change would make an event larger than the broker takes."""

    status = 422
    title = "Too large"


# The rows in their order (ids follow it) and the relay's wake-up, in one round trip.
_APPEND = """
WITH appended AS (
    INSERT INTO outbox (topic, key, event_id, event_type, payload, trace_context)
    SELECT topic, key, event_id, event_type, payload::jsonb, trace_context
    FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
         WITH ORDINALITY AS r (topic, key, event_id, event_type, payload, trace_context, n)
    ORDER BY n
)
SELECT pg_notify($7, '')"""


async def append(conn: asyncpg.Connection, events: Sequence[Envelope | SerialisedEvent]) -> None:
    """Add events to the outbox inside the caller's open transaction: models, or events
    already written as JSON by a bulk producer."""
    if not events:
        return
    rows = [
        (
            str(topic_of(e.type)),
            e.subject,
            e.id,
            e.type,
            e.json if isinstance(e, SerialisedEvent) else e.model_dump_json(),
            tracing.traceparent_for(e.causation_id),
        )
        for e in events
    ]
    for row in rows:
        if len(row[4]) > MAX_EVENT_BYTES // 4 and len(row[4].encode()) > MAX_EVENT_BYTES:
            raise EventTooLarge(
                f"the {row[3]} event would be {len(row[4].encode()):,} bytes; "
                f"at most {MAX_EVENT_BYTES:,} are published"
            )
    if len(rows) >= _COPY_FROM:
        await conn.copy_records_to_table("outbox", records=rows, columns=_COLUMNS)
        await notify(conn, CHANNEL)
    else:
        await conn.execute(_APPEND, *(list(column) for column in zip(*rows, strict=True)), CHANNEL)


class OutboxMetrics(Protocol):
    """Where the relay reports (`onboarding_kit.metrics`)."""

    def outbox_sampled(self, depth: int, oldest_age_s: float) -> None: ...

    def outbox_published_rows(self, count: int) -> None: ...

    def outbox_set_aside_rows(self, count: int) -> None: ...

    def people_reached(self, tenant: str, stage: str, count: int = 1) -> None: ...


class NoOutboxMetrics:
    def outbox_sampled(self, depth: int, oldest_age_s: float) -> None:
        pass

    def outbox_published_rows(self, count: int) -> None:
        pass

    def outbox_set_aside_rows(self, count: int) -> None:
        pass

    def people_reached(self, tenant: str, stage: str, count: int = 1) -> None:
        pass


# One cheap look at the whole outbox; `now()` is the database's clock, like `created_at`.
_SAMPLE = """
SELECT count(*) AS depth,
       coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8 AS oldest_age_s
FROM outbox
"""

_RELAY_LOCK = 0x6F7574  # one publishing relay per database, whichever replica it runs in
_CLAIM = """
SELECT id, topic, key, event_id, event_type, payload, created_at, trace_context
FROM outbox
ORDER BY id
LIMIT $1
FOR UPDATE SKIP LOCKED
"""


class OutboxRelay:
    def __init__(
        self,
        *,
        pool: asyncpg.Pool,
        dsn: str,
        producer: AIOKafkaProducer,
        topics: TopicNames,
        batch_size: int = 500,
        poll_interval_s: float = 1.0,
        metrics: OutboxMetrics | None = None,
        sample_interval_s: float = 5.0,
        milestones: Milestones | None = None,
    ) -> None:
        self.pool = pool
        self.dsn = dsn
        self.producer = producer
        self.topics = topics
        self.batch_size = batch_size
        self.poll_interval_s = poll_interval_s
        self.published = 0
        self.set_aside = 0
        self.metrics: OutboxMetrics = metrics or NoOutboxMetrics()
        self.sample_interval_s = sample_interval_s
        self._sampled_at: float | None = None
        self.oldest_age_s = 0.0  # of the oldest row waiting, as last sampled
        self.milestones = milestones or Milestones()
        self._wakeup = Wakeup(dsn, CHANNEL)

    async def publish_pending(self) -> int:
        """Publish one batch of waiting rows; return how many were published."""
        async with self.pool.acquire() as conn, conn.transaction():
            if not await conn.fetchval("SELECT pg_try_advisory_xact_lock($1)", _RELAY_LOCK):
                return 0  # another replica's relay is publishing; it will drain these too
            rows = await conn.fetch(_CLAIM, self.batch_size)
            if not rows:
                return 0
            refused: list[tuple[asyncpg.Record, BaseException]] = []
            sending: list[tuple[asyncpg.Record, Any]] = []
            for row in rows:
                try:
                    sending.append((row, await self._send(row)))
                except _NEVER_PUBLISHABLE as error:
                    refused.append((row, error))
            outcomes = await asyncio.gather(*(d for _, d in sending), return_exceptions=True)
            for (row, _), outcome in zip(sending, outcomes, strict=True):
                if isinstance(outcome, _NEVER_PUBLISHABLE):
                    refused.append((row, outcome))
                elif isinstance(outcome, BaseException):
                    raise outcome  # the broker is unreachable or busy: retry the batch
            if refused:
                await self._set_aside(conn, refused)
            await conn.execute(
                "DELETE FROM outbox WHERE id = ANY($1::bigint[])", [r["id"] for r in rows]
            )
        self.published += len(rows) - len(refused)
        self.set_aside += len(refused)
        self.metrics.outbox_published_rows(len(rows) - len(refused))
        self.metrics.outbox_set_aside_rows(len(refused))
        self._count_milestones(rows, refused)
        return len(rows)

    def _count_milestones(
        self, rows: Sequence[asyncpg.Record], refused: Sequence[tuple[asyncpg.Record, Any]]
    ) -> None:
        """Count the people these published events moved on, once the broker has them."""
        left_out = {row["id"] for row, _ in refused}
        reached: Counter[tuple[str, str]] = Counter()
        for row in rows:
            if row["id"] not in left_out:
                milestone = self.milestones.reached(row["event_type"], row["payload"])
                if milestone is not None:
                    reached[milestone] += 1
        for (tenant, stage), count in reached.items():
            self.metrics.people_reached(tenant, stage, count)

    async def sample(self) -> None:
        """Report the outbox's depth and the age of its oldest row."""
        row = await self.pool.fetchrow(_SAMPLE)
        self._sampled_at = time.monotonic()
        if row is not None:
            self.oldest_age_s = max(row["oldest_age_s"], 0.0)
            self.metrics.outbox_sampled(row["depth"], self.oldest_age_s)

    async def _sample_now_and_then(self) -> None:
        """At most once per `sample_interval_s`: a busy relay passes many times a second."""
        now = time.monotonic()
        if self._sampled_at is None or now - self._sampled_at >= self.sample_interval_s:
            await self.sample()

    async def _send(self, row: asyncpg.Record) -> Any:
        headers = [
            ("content-type", CONTENT_TYPE),
            ("ce_id", row["event_id"].encode()),
            ("ce_type", row["event_type"].encode()),
        ]
        topic = self.topics.name(row["topic"])
        span = tracing.start_span(
            f"publish {row['event_type']}",
            parent=row["trace_context"],
            kind="producer",
            attributes={
                "messaging.destination.name": topic,
                "messaging.message.id": row["event_id"],
            },
        )
        traceparent = tracing.traceparent_of(span) if span is not None else row["trace_context"]
        if traceparent:
            headers.append((tracing.TRACEPARENT, traceparent.encode()))
        try:
            return await self.producer.send(
                topic, value=row["payload"].encode(), key=row["key"].encode(), headers=headers
            )
        finally:
            tracing.end_span(span)

    async def _set_aside(
        self, conn: asyncpg.Connection, refused: Sequence[tuple[asyncpg.Record, BaseException]]
    ) -> None:
        failed_at = datetime.now(UTC)
        await conn.executemany(
            """INSERT INTO outbox_dead (id, topic, key, event_id, event_type, payload,
                   created_at, failed_at, error, trace_context)
               SELECT id, topic, key, event_id, event_type, payload, created_at, $2, $3,
                      trace_context
               FROM outbox WHERE id = $1
               ON CONFLICT (id) DO NOTHING""",
            [(row["id"], failed_at, f"{type(e).__name__}: {e}"[:4000]) for row, e in refused],
        )
        for row, error in refused:
            log.error(
                "event set aside: the broker will never take it",
                extra={
                    "event_id": row["event_id"],
                    "event_type": row["event_type"],
                    "error": f"{type(error).__name__}: {error}",
                },
            )

    async def run(self) -> None:
        """Publish until cancelled. A broker or database failure is logged and retried."""
        try:
            while True:
                try:
                    while await self.publish_pending() == self.batch_size:
                        await self._sample_now_and_then()
                    await self._sample_now_and_then()
                except Exception:
                    log.exception("outbox relay failed; retrying")
                    await asyncio.sleep(self.poll_interval_s)
                    continue
                await self._wakeup.wait(self.poll_interval_s)
        finally:
            await self._wakeup.close()
