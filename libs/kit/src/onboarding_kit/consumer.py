"""Idempotent, at-least-once consumption of onboarding events.

For each batch of records polled from a topic:

1. decode every record; one that cannot be decoded can never succeed and goes straight to
   the dead-letter topic;
2. in ONE database transaction, record the batch's event ids in the inbox (those already
   there are redeliveries and are skipped) and run the handler of each new event;
3. only when that transaction committed does the subscriber return, and FastStream commits
   the Kafka offsets (`AckPolicy.NACK_ON_ERROR`): a crash between 2 and 3 redelivers the
   batch, and the inbox makes the second delivery a no-op.

If the batch transaction fails, the records are retried one by one so a single bad event
cannot hold back the others: each gets `max_attempts` tries with backoff, then goes to the
dead-letter topic with the error in its headers, and the partition moves on. A database or
broker outage is not the event's fault: it is raised, the batch is rewound and retried
after a pause that grows while the outage lasts, and nothing is dead-lettered for it.
`onboarding_kit.failures` says which error is which.
"""

import asyncio
import dataclasses
import itertools
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol

import asyncpg
from aiokafka import AIOKafkaProducer, ConsumerRecord
from faststream.kafka import KafkaBroker
from faststream.middlewares import AckPolicy
from onboarding_contracts import Envelope, UnknownEventType, parse_event, topic_of
from opentelemetry.trace import Span

from onboarding_kit import tracing
from onboarding_kit.failures import Failure, classify
from onboarding_kit.kafka import TopicNames
from onboarding_kit.polling import BatchPoller
from onboarding_kit.uow import Tx

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Batched(Generic[Tx]):
    """A handler that takes every consecutive event of its type in a batch at once, so it
    can write them with a few statements instead of a few per event. Order is kept: events
    of other types in between split the run."""

    apply: Callable[[Tx, list[Any]], Awaitable[None]]


# A handler gets the service's transaction (its stores and the outbox) and one event.
EventHandler = Callable[[Tx, Any], Awaitable[None]] | Batched[Tx]


@dataclass(frozen=True)
class Subscriptions(Generic[Tx]):
    """What a service consumes: a handler per event type, and the transaction type its
    handlers work in."""

    transaction: Callable[[asyncpg.Connection], Tx]
    handlers: Mapping[str, EventHandler[Tx]]


class EventMetrics(Protocol):
    """Where a consumer reports what became of each event (`onboarding_kit.metrics`).
    Outcomes: applied, duplicate, ignored, dead_lettered."""

    def event_consumed(self, event_type: str, outcome: str, count: int = 1) -> None: ...

    def handler_took(self, event_type: str, seconds: float) -> None: ...


class NoEventMetrics:
    def event_consumed(self, event_type: str, outcome: str, count: int = 1) -> None:
        pass

    def handler_took(self, event_type: str, seconds: float) -> None:
        pass


UNKNOWN_TYPE = "unknown"  # a newer producer's type; not a label per unknown string
UNDECODABLE = "undecodable"


@dataclass
class ConsumerStats:
    applied: int = 0
    duplicates: int = 0
    ignored: int = 0
    dead_lettered: int = 0


@dataclass
class _Decoded:
    record: ConsumerRecord[bytes, bytes]
    event: Envelope | None = None
    error: Exception | None = None


# Records decoded between two turns given to the other tasks of the process.
YIELD_EVERY = 10


@dataclass
class EventConsumer(Generic[Tx]):
    """Applies events from Kafka to one service's database, each exactly once."""

    name: str
    pool: asyncpg.Pool
    producer: AIOKafkaProducer
    topics: TopicNames
    subscriptions: Subscriptions[Tx]
    max_attempts: int = 5
    batch_size: int = 500
    retry_backoff_s: float = 0.2
    slow_backoff_s: float = 2.0
    outage_pause_s: float = 1.0
    max_outage_pause_s: float = 30.0
    stats: ConsumerStats = field(default_factory=ConsumerStats)
    metrics: EventMetrics = field(default_factory=NoEventMetrics)
    _outages: int = 0  # consecutive failed batches because of an outage
    _subscriber: Any = None
    _poller: BatchPoller = field(init=False)

    def __post_init__(self) -> None:
        self._poller = BatchPoller(self.batch_size)

    @property
    def group(self) -> str:
        """The consumer group (environments sharing a cluster stay apart by the prefix)."""
        return self.topics.name(self.name)

    @property
    def topic_names(self) -> list[str]:
        """The topics this consumer has handlers for, as named on the cluster."""
        return sorted({self.topics.name(topic_of(t)) for t in self.subscriptions.handlers})

    def assigned_partitions(self) -> int | None:
        """How many partitions this replica holds now; None before it has started."""
        consumer = getattr(self._subscriber, "consumer", None)
        return None if consumer is None else len(consumer.assignment())

    def subscribe(self, broker: KafkaBroker) -> None:
        """One subscriber, in one consumer group, for every topic this consumer has handlers
        for: a batch may mix topics, and each partition's records stay in order."""
        self._subscriber = broker.subscriber(
            *self.topic_names,
            group_id=self.group,
            batch=True,
            max_records=self.batch_size,
            auto_offset_reset="earliest",
            ack_policy=AckPolicy.NACK_ON_ERROR,
            decoder=_raw_records,
            title=f"{self.name}:events",
        )
        self._subscriber(self.consume)
        self._poller.install(self._subscriber)  # polls without FastStream's idle sleep

    async def consume(self, records: Any) -> None:
        await self.process_batch(records)

    async def process_batch(self, records: Sequence[ConsumerRecord[bytes, bytes]]) -> None:
        decoded = []
        for n, record in enumerate(records, start=1):
            decoded.append(self._decode(record))
            if n % YIELD_EVERY == 0:
                # Decoding a batch is CPU work: let the process's other tasks (a sender, the
                # relay, HTTP) run between slices of it.
                await asyncio.sleep(0)
        good = [d for d in decoded if d.event is not None]
        if good:
            try:
                await self._apply(good)
            except Exception as error:
                if classify(error) is Failure.OUTAGE:
                    await self._pause_for_outage()
                    raise
                log.warning("batch failed; retrying its events one by one", exc_info=True)
                for item in good:
                    await self._apply_with_retries(item)
        self._outages = 0
        # Only once the batch is through: a batch rewound after an outage would otherwise
        # park its undecodable records twice.
        for item in decoded:
            if item.error is not None:
                await self._dead_letter(item.record, item.error, attempts=1)
            elif item.event is None:
                self.metrics.event_consumed(UNKNOWN_TYPE, "ignored")

    async def _apply(self, items: Sequence[_Decoded]) -> None:
        """Apply in one transaction, each event in a span continuing its producer's trace;
        the events the handlers write continue the trace of the event that caused them."""
        spans: list[Span | None] = []
        causes: dict[str, str | None] = {}
        for item in items:
            assert item.event is not None
            incoming = _traceparent(item.record)
            span = tracing.start_span(
                f"consume {item.event.type}",
                parent=incoming,
                kind="consumer",
                attributes={"messaging.message.id": item.event.id, "consumer": self.name},
            )
            spans.append(span)
            causes[item.event.id] = tracing.traceparent_of(span) if span is not None else incoming
        failed: BaseException | None = None
        try:
            with tracing.continuing(causes):
                await self._apply_in_one_transaction(items)
        except BaseException as error:
            failed = error
            raise
        finally:
            for span in spans:
                tracing.end_span(span, failed)

    async def _apply_in_one_transaction(self, items: Sequence[_Decoded]) -> None:
        events = [item.event for item in items if item.event is not None]
        async with self.pool.acquire() as conn, conn.transaction():
            # Each statement planned for this batch and the tables as they are now. A generic
            # plan is made once per connection after a few runs and kept: made while a new
            # service's tables held a page or two, it went on scanning them whole as events
            # filled them (measured: enrolment's message lookups by primary key at 5-8 ms each
            # by a sequential scan during a 10,000-person import, growing with the table).
            await conn.execute("SET LOCAL plan_cache_mode = force_custom_plan")
            tx = self.subscriptions.transaction(conn)
            fresh = {
                row["event_id"]
                for row in await conn.fetch(
                    "INSERT INTO inbox (consumer, event_id) "
                    "SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING RETURNING event_id",
                    self.name,
                    [e.id for e in events],
                )
            }
            # Reported only once the transaction committed: a rolled-back batch applied nothing.
            outcomes: Counter[tuple[str, str]] = Counter()
            durations: list[tuple[str, float]] = []
            fresh_events = []
            for event in events:
                if event.id in fresh:
                    fresh.discard(event.id)  # the same event twice in one batch counts once
                    fresh_events.append(event)
                else:
                    outcomes[(event.type, "duplicate")] += 1
            duplicates = len(events) - len(fresh_events)
            applied = ignored = 0
            for event_type, run in itertools.groupby(fresh_events, key=lambda e: e.type):
                group = list(run)
                handler = self.subscriptions.handlers.get(event_type)
                started = time.perf_counter()
                if handler is None:
                    ignored += len(group)
                elif isinstance(handler, Batched):
                    await handler.apply(tx, group)
                    durations.append((event_type, time.perf_counter() - started))
                else:
                    for event in group:
                        await handler(tx, event)
                        durations.append((event_type, time.perf_counter() - started))
                        started = time.perf_counter()
                outcomes[(event_type, "ignored" if handler is None else "applied")] += len(group)
                if handler is not None:
                    applied += len(group)
        self.stats.applied += applied
        self.stats.duplicates += duplicates
        self.stats.ignored += ignored
        for (event_type, outcome), count in outcomes.items():
            self.metrics.event_consumed(event_type, outcome, count)
        for event_type, seconds in durations:
            self.metrics.handler_took(event_type, seconds)

    async def replay(self, parked: ConsumerRecord[bytes, bytes]) -> bool:
        """Apply a record this consumer parked on a dead-letter topic again, as if it had
        just arrived from its original topic: True when it went through, False when it
        failed again (and was parked again). Raises ValueError for a record that cannot be
        decoded."""
        headers = dict(parked.headers)
        record = dataclasses.replace(
            parked,
            topic=headers.get("dlt.original.topic", b"").decode(),
            partition=int(headers.get("dlt.original.partition", b"-1")),
            offset=int(headers.get("dlt.original.offset", b"-1")),
            headers=[(k, v) for k, v in parked.headers if not k.startswith("dlt.")],
        )
        item = self._decode(record)
        if item.event is None:
            raise ValueError(f"the parked record cannot be decoded: {item.error}")
        return await self._apply_with_retries(item)

    async def _apply_with_retries(self, item: _Decoded) -> bool:
        """True when the event was applied, False when it was parked."""
        for attempt in range(1, self.max_attempts + 1):
            try:
                await self._apply([item])
                return True
            except Exception as error:
                failure = classify(error)
                if failure is Failure.OUTAGE:
                    await self._pause_for_outage()
                    raise
                if attempt == self.max_attempts:
                    await self._dead_letter(
                        item.record,
                        error,
                        attempts=attempt,
                        event_type=item.event.type if item.event else UNDECODABLE,
                    )
                    return False
                base = self.slow_backoff_s if failure is Failure.SLOW else self.retry_backoff_s
                await asyncio.sleep(base * 2 ** (attempt - 1))
        return False

    async def _pause_for_outage(self) -> None:
        """The batch will be rewound and fetched again: wait first rather than spin, longer
        each time while the outage lasts."""
        self._outages += 1
        pause = min(self.outage_pause_s * 2 ** (self._outages - 1), self.max_outage_pause_s)
        log.warning(
            "infrastructure unavailable; the batch will be retried",
            exc_info=True,
            extra={"pause_s": pause},
        )
        await asyncio.sleep(pause)

    def _decode(self, record: ConsumerRecord[bytes, bytes]) -> _Decoded:
        try:
            return _Decoded(record, event=parse_event(record.value or b""))
        except UnknownEventType as error:
            # A newer producer's event type: not for this consumer, not an error either.
            log.info("skipping unknown event type", extra={"error": str(error)})
            return _Decoded(record)
        except Exception as error:
            # Whatever the bytes are (not JSON, not UTF-8, nested deeper than the parser
            # recurses, not an event), they will never decode: parked once.
            return _Decoded(record, error=error)

    async def _dead_letter(
        self,
        record: ConsumerRecord[bytes, bytes],
        error: BaseException,
        *,
        attempts: int,
        event_type: str = UNDECODABLE,
    ) -> None:
        headers = [
            *[(k, v) for k, v in record.headers if not k.startswith("dlt.")],
            ("dlt.error", str(error)[:4000].encode()),
            ("dlt.error.type", type(error).__name__.encode()),
            ("dlt.consumer", self.name.encode()),
            ("dlt.attempts", str(attempts).encode()),
            ("dlt.original.topic", record.topic.encode()),
            ("dlt.original.partition", str(record.partition).encode()),
            ("dlt.original.offset", str(record.offset).encode()),
        ]
        original_topic = record.topic.removeprefix(self.topics.prefix)
        await self.producer.send_and_wait(
            self.topics.dead_letter(original_topic),
            value=record.value,
            key=record.key,
            headers=headers,
        )
        self.stats.dead_lettered += 1
        self.metrics.event_consumed(event_type, "dead_lettered")
        log.error(
            "event dead-lettered",
            extra={
                "consumer": self.name,
                "topic": record.topic,
                "partition": record.partition,
                "offset": record.offset,
                "error": str(error),
            },
        )


async def _raw_records(message: Any) -> Any:
    """Hand the subscriber the aiokafka records themselves: the kit decodes them."""
    return message.raw_message


def _traceparent(record: ConsumerRecord[bytes, bytes]) -> str | None:
    for key, value in record.headers or ():
        if key == tracing.TRACEPARENT:
            return bytes(value).decode("latin-1")
    return None
