"""Kafka wiring shared by every service: topic names, the producer, topic creation."""

import contextlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from onboarding_contracts import Topic
from onboarding_contracts.topics import dead_letter_topic

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TopicNames:
    """Turns a contract topic into the name used on this cluster (an optional prefix lets
    several environments, or test runs, share one broker)."""

    prefix: str = ""

    def name(self, topic: str) -> str:
        return f"{self.prefix}{topic}"

    def dead_letter(self, topic: str) -> str:
        return dead_letter_topic(self.name(topic))

    def all(self) -> list[str]:
        return [n for t in Topic for n in (self.name(t), self.dead_letter(t))]


def new_producer(bootstrap_servers: str, client_id: str) -> AIOKafkaProducer:
    # Idempotence with acks=all: a retried send never duplicates or reorders a partition.
    # No linger: the relay hands a whole claimed batch to the producer before the producer's
    # sender runs, so the records are batched anyway, and a single event does not wait.
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers,
        client_id=client_id,
        acks="all",
        enable_idempotence=True,
        linger_ms=0,
        max_batch_size=512 * 1024,
        request_timeout_ms=30_000,
    )


async def ensure_topics(bootstrap_servers: str, names: Iterable[str], partitions: int) -> None:
    """Create the topics that do not exist yet, so consumers never wait for auto-creation."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [n for n in names if n not in existing]
        if not missing:
            return
        with contextlib.suppress(TopicAlreadyExistsError):  # another replica was first
            await admin.create_topics(
                [NewTopic(name=n, num_partitions=partitions, replication_factor=1) for n in missing]
            )
        log.info("topics created", extra={"topics": missing})
    finally:
        await admin.close()
