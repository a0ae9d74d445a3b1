"""Sampling how far a service's consumer group is behind, as kafka_exporter computes it:
each partition's end offset minus the group's committed offset (a partition the group never
committed on counts from its beginning), and how many records this service's consumer
parked on the dead-letter topics (their `dlt.consumer` header; a topic two services consume
has one dead-letter topic for both) and has not replayed yet (a replay is recorded in the
service's `dead_letter_replays`). Dead-letter records are read once each, as they arrive.
A `Worker`: every replica samples the same numbers, so dashboards
and rules take the max across replicas, not the sum."""

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from onboarding_kit.dead_letters import header, parse_letter_id

log = logging.getLogger(__name__)

PEERS_LISTED_EVERY_S = 15.0
READ_TIMEOUT_S = 10.0  # for the dead-letter records that arrived since the last turn


class LagMetrics(Protocol):
    def lag_sampled(self, group: str, topic: str, partition: int, lag: int) -> None: ...

    def dead_letters_sampled(self, topic: str, records: int) -> None: ...


@dataclass
class LagSampler:
    bootstrap_servers: str
    group: str
    consumer: str  # the name the consumer parks records under (their dlt.consumer header)
    topics: Sequence[str]
    dead_letter_topics: Sequence[str]
    metrics: LagMetrics
    pool: asyncpg.Pool | None = None  # where replays are recorded
    # The platform's other consumer groups (ids starting with this; None: none) are sampled
    # too, on the partitions of `platform_topics` they committed on: a group whose own
    # process is frozen or gone still shows its lag growing, as kafka_exporter would.
    peer_groups_prefix: str | None = None
    platform_topics: Sequence[str] = ()
    interval_s: float = 5.0
    name: str = "consumer-lag"
    last: dict[tuple[str, int], int] = field(default_factory=dict)  # (topic, partition) -> lag
    # Per dead-letter partition: the offsets of the records this consumer parked, and the
    # offset up to which the partition has been read.
    _parked: dict[TopicPartition, set[int]] = field(default_factory=dict)
    _read_to: dict[TopicPartition, int] = field(default_factory=dict)
    _peers: list[str] = field(default_factory=list)
    _peers_listed_at: float = float("-inf")
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
        if self.peer_groups_prefix is not None:
            await self._sample_peers(admin, offsets)
        await self._read_parked(offsets, parked, beginnings, ends)
        replayed = await self._replayed()
        for topic in self.dead_letter_topics:
            waiting = 0
            for p in (p for p in parked if p.topic == topic):
                done = set(replayed.get((p.topic, p.partition), ()))
                waiting += len(self._parked.get(p, set()) - done)
            self.metrics.dead_letters_sampled(topic, waiting)

    async def _sample_peers(self, admin: AIOKafkaAdminClient, offsets: AIOKafkaConsumer) -> None:
        """The lag of the platform's other groups: those that committed on the platform's
        topics, looked up every `PEERS_LISTED_EVERY_S` (a cluster may hold many groups of
        other environments). A group that never committed has no lag anyone can tell."""
        now = time.monotonic()
        refresh = now - self._peers_listed_at >= PEERS_LISTED_EVERY_S
        if refresh:
            assert self.peer_groups_prefix is not None
            listed = await admin.list_consumer_groups()
            self._peers = [
                str(group)
                for group, *_ in listed
                if group != self.group and str(group).startswith(self.peer_groups_prefix)
            ]
            self._peers_listed_at = now
        watched = set(self.platform_topics)
        kept = []
        for group in self._peers:
            committed = await admin.list_consumer_group_offsets(group)
            partitions = [
                tp for tp, done in committed.items() if tp.topic in watched and done.offset >= 0
            ]
            if not partitions:
                continue  # not one of the platform's: left out until the next look-up
            kept.append(group)
            ends = await offsets.end_offsets(partitions)
            for tp in partitions:
                lag = max(ends[tp] - committed[tp].offset, 0)
                self.metrics.lag_sampled(group, tp.topic, tp.partition, lag)
        if refresh:
            self._peers = kept

    async def _read_parked(
        self,
        offsets: AIOKafkaConsumer,
        partitions: Sequence[TopicPartition],
        beginnings: dict[TopicPartition, int],
        ends: dict[TopicPartition, int],
    ) -> None:
        """Read the dead-letter records that arrived since the last turn, keeping the
        offsets of this consumer's; those the topic's retention removed are forgotten."""
        unread = {
            p: max(self._read_to.get(p, 0), beginnings[p])
            for p in partitions
            if max(self._read_to.get(p, 0), beginnings[p]) < ends[p]
        }
        for p in partitions:
            mine = self._parked.setdefault(p, set())
            mine -= {offset for offset in mine if offset < beginnings[p]}
        if not unread:
            return
        offsets.assign(list(unread))
        for p, start in unread.items():
            offsets.seek(p, start)
        async with asyncio.timeout(READ_TIMEOUT_S):
            while [p for p in unread if await offsets.position(p) < ends[p]]:
                for p, records in (await offsets.getmany(*unread, timeout_ms=200)).items():
                    for record in records:
                        if (
                            record.offset < ends[p]
                            and header(record, "dlt.consumer") == self.consumer
                        ):
                            self._parked[p].add(record.offset)
        for p in unread:
            self._read_to[p] = ends[p]

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
