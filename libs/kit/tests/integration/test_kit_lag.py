"""The consumer group's lag and the dead letters waiting, sampled as kafka_exporter would:
against a real broker, a group that committed part of a topic, and a dead-letter topic one
of whose records was replayed."""

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import OffsetAndMetadata
from onboarding_contracts import Topic
from onboarding_kit.lag import LagSampler

pytestmark = pytest.mark.integration


@dataclass
class Recorded:
    lag: dict[tuple[str, str, int], int] = field(default_factory=dict)
    parked: dict[str, int] = field(default_factory=dict)

    def lag_sampled(self, group: str, topic: str, partition: int, lag: int) -> None:
        self.lag[(group, topic, partition)] = lag

    def dead_letters_sampled(self, topic: str, records: int) -> None:
        self.parked[topic] = records


@asynccontextmanager
async def sampling(kafka: str) -> AsyncIterator[Callable[[LagSampler], Awaitable[None]]]:
    """A turn of a sampler, as its `run` takes it, with the clients it is given."""
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka)
    offsets = AIOKafkaConsumer(bootstrap_servers=kafka, enable_auto_commit=False)
    await admin.start()
    await offsets.start()

    async def sample(sampler: LagSampler) -> None:
        await sampler.sample(admin, offsets)

    try:
        yield sample
    finally:
        await offsets.stop()
        await admin.close()


async def test_lag_is_end_minus_committed_and_dead_letters_exclude_the_replayed(
    pool, producer, topics, kafka
) -> None:
    topic, parked = topics.name(Topic.ENROLMENT), topics.dead_letter(Topic.ENROLMENT)
    for _ in range(10):
        await producer.send_and_wait(topic, b"{}", key=b"k", partition=0)
    mine, other = [("dlt.consumer", b"lag-test")], [("dlt.consumer", b"another-service")]
    for headers in (mine, other, mine, mine):
        await producer.send_and_wait(parked, b"{}", key=b"k", partition=1, headers=headers)
    group = topics.name("lag-test")
    committer = AIOKafkaConsumer(bootstrap_servers=kafka, group_id=group, enable_auto_commit=False)
    await committer.start()
    try:
        committer.assign([TopicPartition(topic, 0)])
        await committer.commit({TopicPartition(topic, 0): OffsetAndMetadata(4, "")})
    finally:
        await committer.stop()
    await pool.execute(
        "INSERT INTO dead_letter_replays (letter_id, replayed_at) VALUES ($1, $2)",
        f"{parked}:1:2",
        datetime.now(UTC),
    )

    recorded = Recorded()
    sampler = LagSampler(
        bootstrap_servers=kafka,
        group=group,
        consumer="lag-test",
        topics=[topic],
        dead_letter_topics=[parked],
        metrics=recorded,
        pool=pool,
    )
    async with sampling(kafka) as sample:
        await sample(sampler)
        first = dict(recorded.parked)
        await producer.send_and_wait(parked, b"{}", key=b"k", partition=1, headers=mine)
        await sample(sampler)  # only the new record is read

    assert recorded.lag[(group, topic, 0)] == 6, "10 records, 4 committed"
    others = [lag for (g, t, p), lag in recorded.lag.items() if t == topic and p != 0]
    assert others and set(others) == {0}, "every partition is reported, empty ones at 0"
    assert first == {parked: 2}, "three parked by this consumer (one by another), one replayed"
    assert recorded.parked == {parked: 3}, "one more parked since"


async def test_the_platforms_other_groups_are_sampled_from_their_commits(
    producer, topics, kafka
) -> None:
    """A group whose own process is frozen still shows its lag: every service samples the
    platform's groups (those named with its prefix) on the partitions they committed on."""
    topic = topics.name(Topic.INVITATION)
    for _ in range(7):
        await producer.send_and_wait(topic, b"{}", key=b"k", partition=0)
    frozen, elsewhere = topics.name("frozen-service"), "another-environment.lag-test"
    for group, done in ((frozen, 2), (elsewhere, 1)):
        committer = AIOKafkaConsumer(
            bootstrap_servers=kafka, group_id=group, enable_auto_commit=False
        )
        await committer.start()
        try:
            committer.assign([TopicPartition(topic, 0)])
            await committer.commit({TopicPartition(topic, 0): OffsetAndMetadata(done, "")})
        finally:
            await committer.stop()

    recorded = Recorded()
    sampler = LagSampler(
        bootstrap_servers=kafka,
        group=topics.name("sampling-service"),
        consumer="sampling-service",
        topics=[],
        dead_letter_topics=[],
        metrics=recorded,
        peer_groups_prefix=topics.prefix,
        platform_topics=[topic],
    )
    async with sampling(kafka) as sample:
        await sample(sampler)

    assert recorded.lag == {(frozen, topic, 0): 5}, "7 records, 2 committed; others left out"
