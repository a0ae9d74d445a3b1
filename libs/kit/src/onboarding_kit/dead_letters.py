"""Dead letters: the events a service's consumer parked, for operations to see and replay.

A consumer parks a record on `<topic>.dlt` with the error in its headers (`consumer.py`).
Here a service lists the records its own consumer parked, shows one, and replays one: the
record is applied again by the same consumer, exactly as if it had just arrived (inbox,
handler, retries; parked again if it still fails). A replay that went through is recorded,
so the same record is never applied twice by replaying it twice.
"""

import asyncio
import contextlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaError
from onboarding_contracts import Topic

from onboarding_kit.kafka import TopicNames

MAX_LISTED = 1000
READ_TIMEOUT_S = 30


@dataclass(frozen=True)
class DeadLetter:
    topic: str  # the dead-letter topic, as named on the cluster
    partition: int
    offset: int
    parked_at: datetime
    original_topic: str
    event_id: str | None
    event_type: str | None
    error: str
    error_type: str
    attempts: int
    replayed_at: datetime | None = None

    @property
    def id(self) -> str:
        return f"{self.topic}:{self.partition}:{self.offset}"


def header(record: ConsumerRecord[bytes, bytes], name: str) -> str | None:
    for key, value in record.headers:
        if key == name:
            return str(value.decode(errors="replace"))
    return None


def _event_attribute(record: ConsumerRecord[bytes, bytes], name: str) -> str | None:
    """An attribute of the parked event: from its header, else from the event itself."""
    found = header(record, f"ce_{name}")
    if found is None:
        with contextlib.suppress(ValueError, RecursionError):
            document = json.loads(record.value or b"")
            value = document.get(name) if isinstance(document, dict) else None
            found = value if isinstance(value, str) else None
    return found


def dead_letter(record: ConsumerRecord[bytes, bytes]) -> DeadLetter:
    return DeadLetter(
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        parked_at=datetime.fromtimestamp(record.timestamp / 1000, UTC),
        original_topic=header(record, "dlt.original.topic") or "",
        event_id=_event_attribute(record, "id"),
        event_type=_event_attribute(record, "type"),
        error=header(record, "dlt.error") or "",
        error_type=header(record, "dlt.error.type") or "",
        attempts=int(header(record, "dlt.attempts") or 0),
    )


class DeadLetters:
    """The records one consumer parked, read from the cluster's dead-letter topics."""

    def __init__(
        self, *, bootstrap_servers: str, topics: TopicNames, consumer: str, pool: asyncpg.Pool
    ) -> None:
        self.bootstrap_servers = bootstrap_servers
        self.topics = topics
        self.consumer = consumer
        self.pool = pool

    async def _client(self) -> AIOKafkaConsumer:
        client = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap_servers,
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
        )
        await client.start()
        # Let the client's own background task begin: stopping it before it ran once makes
        # aiokafka's stop raise CancelledError.
        await asyncio.sleep(0)
        return client

    async def parked(self, limit: int = MAX_LISTED) -> list[DeadLetter]:
        """The newest `limit` records this consumer parked, oldest first."""
        client = await self._client()
        records: list[ConsumerRecord[bytes, bytes]] = []
        try:
            client.subscribe([self.topics.dead_letter(t) for t in Topic])
            async with asyncio.timeout(READ_TIMEOUT_S):
                while not client.assignment():
                    for batch in (await client.getmany(timeout_ms=200)).values():
                        records.extend(batch)
                ends = await client.end_offsets(list(client.assignment()))
                while [tp for tp, end in ends.items() if await client.position(tp) < end]:
                    for batch in (await client.getmany(timeout_ms=200)).values():
                        records.extend(batch)
        finally:
            await client.stop()
        mine = [r for r in records if header(r, "dlt.consumer") == self.consumer]
        mine.sort(key=lambda r: r.timestamp)
        letters = [dead_letter(r) for r in mine[-limit:]]
        replayed = await self._replayed([letter.id for letter in letters])
        return [
            DeadLetter(**{**vars(letter), "replayed_at": replayed.get(letter.id)})
            for letter in letters
        ]

    async def find(self, letter_id: str) -> ConsumerRecord[bytes, bytes] | None:
        """The parked record with this id (`topic:partition:offset`), if this consumer
        parked it."""
        topic, partition, offset = parse_letter_id(letter_id)
        if topic not in {self.topics.dead_letter(t) for t in Topic}:
            return None
        client = await self._client()
        tp = TopicPartition(topic, partition)
        try:
            client.assign([tp])
            async with asyncio.timeout(READ_TIMEOUT_S):
                if offset >= (await client.end_offsets([tp]))[tp]:
                    return None
                client.seek(tp, offset)
                record: ConsumerRecord[bytes, bytes] = await client.getone()
        except KafkaError:
            return None  # no such partition
        finally:
            await client.stop()
        if record.offset != offset or header(record, "dlt.consumer") != self.consumer:
            return None  # compacted away, or another service's
        return record

    async def replayed_at(self, letter_id: str) -> datetime | None:
        return (await self._replayed([letter_id])).get(letter_id)

    async def mark_replayed(self, letter_id: str, at: datetime) -> None:
        await self.pool.execute(
            "INSERT INTO dead_letter_replays (letter_id, replayed_at) VALUES ($1, $2) "
            "ON CONFLICT (letter_id) DO NOTHING",
            letter_id,
            at,
        )

    async def _replayed(self, letter_ids: list[str]) -> dict[str, datetime]:
        rows = await self.pool.fetch(
            "SELECT letter_id, replayed_at FROM dead_letter_replays WHERE letter_id = ANY($1)",
            letter_ids,
        )
        return {r["letter_id"]: r["replayed_at"] for r in rows}


def parse_letter_id(letter_id: str) -> tuple[str, int, int]:
    topic, _, rest = letter_id.rpartition(":")
    topic, _, partition = topic.rpartition(":")
    try:
        return topic, int(partition), int(rest)
    except ValueError:
        return "", -1, -1
