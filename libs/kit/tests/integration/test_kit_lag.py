"""The consumer group's lag and the dead letters waiting, sampled as kafka_exporter would:
against a real broker, a group that committed part of a topic, and a dead-letter topic one
of whose records was replayed."""

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


async def test_lag_is_end_minus_committed_and_dead_letters_exclude_the_replayed(
    pool, producer, topics, kafka
) -> None:
    topic, parked = topics.name(Topic.ENROLMENT), topics.dead_letter(Topic.ENROLMENT)
    for _ in range(10):
        await producer.send_and_wait(topic, b"{}", key=b"k", partition=0)
    for _ in range(3):
        await producer.send_and_wait(parked, b"{}", key=b"k", partition=1)
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
        f"{parked}:1:1",
        datetime.now(UTC),
    )

    recorded = Recorded()
    sampler = LagSampler(
        bootstrap_servers=kafka,
        group=group,
        topics=[topic],
        dead_letter_topics=[parked],
        metrics=recorded,
        pool=pool,
    )
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka)
    offsets = AIOKafkaConsumer(bootstrap_servers=kafka, enable_auto_commit=False)
    await admin.start()
    await offsets.start()
    try:
        await sampler.sample(admin, offsets)
    finally:
        await offsets.stop()
        await admin.close()

    assert recorded.lag[(group, topic, 0)] == 6, "10 records, 4 committed"
    others = [lag for (g, t, p), lag in recorded.lag.items() if t == topic and p != 0]
    assert others and set(others) == {0}, "every partition is reported, empty ones at 0"
    assert recorded.parked == {parked: 2}, "three parked, one of them replayed"
