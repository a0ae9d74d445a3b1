"""Sampling how far a service's consumer group is behind, as kafka_exporter computes it:
each partition's end offset minus the group's committed offset (a partition the group never
committed on counts from its beginning), and how many records wait on the dead-letter
topics the service parks events on, not replayed yet (a replay is recorded in the service's
`dead_letter_replays`). A `Worker`: every replica samples the same numbers, so dashboards
and rules take the max across replicas, not the sum."""

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from onboarding_kit.dead_letters import parse_letter_id

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
    pool: asyncpg.Pool | None = None  # where replays are recorded
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
        # Partitions as the cluster has them now: partitions added since are seen.
        consumed = await self._partitions(admin, self.topics)
        parked = await self._partitions(admin, self.dead_letter_topics)
        committed = await admin.list_consumer_group_offsets(self.group)
        ends = await offsets.end_offsets(consumed + parked)
        beginnings = await offsets.beginning_offsets(consumed + parked)
        for partition in consumed:
            done = committed.get(partition)
            start = done.offset if done is not None and done.offset >= 0 else beginnings[partition]
            lag = max(ends[partition] - start, 0)
            self.last[(partition.topic, partition.partition)] = lag
            self.metrics.lag_sampled(self.group, partition.topic, partition.partition, lag)
        replayed = await self._replayed()
        for topic in self.dead_letter_topics:
            waiting = 0
            for p in (p for p in parked if p.topic == topic):
                done = sum(
                    1
                    for offset in replayed.get((p.topic, p.partition), ())
                    if beginnings[p] <= offset < ends[p]
                )
                waiting += ends[p] - beginnings[p] - done
            self.metrics.dead_letters_sampled(topic, max(waiting, 0))

    async def _replayed(self) -> dict[tuple[str, int], list[int]]:
        """The dead letters replayed, by topic and partition: their offsets."""
        if self.pool is None:
            return {}
        found: dict[tuple[str, int], list[int]] = {}
        for row in await self.pool.fetch("SELECT letter_id FROM dead_letter_replays"):
            topic, partition, offset = parse_letter_id(str(row["letter_id"]))
            found.setdefault((topic, partition), []).append(offset)
        return found

    @staticmethod
    async def _partitions(
        admin: AIOKafkaAdminClient, topics: Sequence[str]
    ) -> list[TopicPartition]:
        if not topics:
            return []
        described = await admin.describe_topics(list(topics))
        return [
            TopicPartition(topic["topic"], partition["partition"])
            for topic in described
            if topic["error_code"] == 0
            for partition in sorted(topic["partitions"], key=lambda p: p["partition"])
        ]
