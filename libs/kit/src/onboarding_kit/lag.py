"""Sampling how far a service's consumer group is behind, as kafka_exporter computes it:
each partition's end offset minus the group's committed offset (a partition the group never
committed on counts from its beginning), and how many records wait on the dead-letter
topics the service parks events on. A `Worker`: every replica samples the same numbers, so
dashboards and rules take the max across replicas, not the sum."""

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

log = logging.getLogger(__name__)


class LagMetrics(Protocol):
    def lag_sampled(self, group: str, topic: str, partition: int, lag: int) -> None: ...

    def dead_letters_sampled(self, topic: str, records: int) -> None: ...


@dataclass
class LagSampler:
    bootstrap_servers: str
    group: str
    topics: Sequence[str]
    dead_letter_topics: Sequence[str]
    metrics: LagMetrics
    interval_s: float = 5.0
    name: str = "consumer-lag"
    last: dict[tuple[str, int], int] = field(default_factory=dict)  # (topic, partition) -> lag
    _stopping: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self) -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap_servers)
        offsets = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap_servers, enable_auto_commit=False
        )
        try:
            await admin.start()
            await offsets.start()
            while not self._stopping.is_set():
                try:
                    await self.sample(admin, offsets)
                except Exception as error:  # the broker restarting, say: sampled next turn
                    log.warning("consumer lag not sampled", extra={"error": repr(error)})
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), self.interval_s)
        finally:
            with contextlib.suppress(Exception):
                await offsets.stop()
            with contextlib.suppress(Exception):
                await admin.close()

    async def stop(self) -> None:
        self._stopping.set()

    async def sample(self, admin: AIOKafkaAdminClient, offsets: AIOKafkaConsumer) -> None:
        await offsets.topics()  # fresh metadata: partitions added since are seen
        consumed = self._partitions(offsets, self.topics)
        parked = self._partitions(offsets, self.dead_letter_topics)
        committed = await admin.list_consumer_group_offsets(self.group)
        ends = await offsets.end_offsets(consumed + parked)
        beginnings = await offsets.beginning_offsets(consumed + parked)
        for partition in consumed:
            done = committed.get(partition)
            start = done.offset if done is not None and done.offset >= 0 else beginnings[partition]
            lag = max(ends[partition] - start, 0)
            self.last[(partition.topic, partition.partition)] = lag
            self.metrics.lag_sampled(self.group, partition.topic, partition.partition, lag)
        for topic in self.dead_letter_topics:
            records = sum(ends[p] - beginnings[p] for p in parked if p.topic == topic)
            self.metrics.dead_letters_sampled(topic, records)

    @staticmethod
    def _partitions(consumer: AIOKafkaConsumer, topics: Sequence[str]) -> list[TopicPartition]:
        return [
            TopicPartition(topic, n)
            for topic in topics
            for n in sorted(consumer.partitions_for_topic(topic) or ())
        ]
