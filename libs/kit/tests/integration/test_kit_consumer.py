"""Idempotent consumption and dead-lettering against a real broker and database."""

import asyncio
import sys
from pathlib import Path

import pytest
from faststream.kafka import KafkaBroker
from onboarding_contracts import Topic
from onboarding_devtools.testing import eventually, read_topic
from onboarding_kit.consumer import EventConsumer, Subscriptions
from onboarding_kit.uow import Transaction

from .test_kit_outbox import enrolment_created

pytestmark = pytest.mark.integration

CRASHING_CONSUMER = Path(__file__).with_name("crashing_consumer.py")


async def record_effect(tx: Transaction, event) -> None:
    if event.data.name == "poison":
        raise ValueError(f"cannot apply {event.subject}")
    await tx.conn.execute("INSERT INTO effects (event_id) VALUES ($1)", event.id)


async def effects(pool) -> list[str]:
    return [r["event_id"] for r in await pool.fetch("SELECT event_id FROM effects")]


async def start_consumer(
    pool, producer, topics, kafka, handler=record_effect, **options
) -> tuple[KafkaBroker, EventConsumer]:
    consumer = EventConsumer(
        name=options.pop("name", "test-consumer"),
        pool=pool,
        producer=producer,
        topics=topics,
        subscriptions=Subscriptions(Transaction, {"onboarding.enrolment.created": handler}),
        **options,
    )
    broker = KafkaBroker(kafka)
    consumer.subscribe(broker)
    await broker.start()
    return broker, consumer


async def test_a_consumer_killed_after_its_commit_does_not_apply_the_event_twice(
    pool, producer, topics, kafka, database, topic_prefix
) -> None:
    event = enrolment_created("once")
    await producer.send_and_wait(topics.name(Topic.ENROLMENT), event.to_json(), key=b"once")

    crashed = await asyncio.create_subprocess_exec(
        sys.executable, str(CRASHING_CONSUMER), database, kafka, topic_prefix, "test-consumer"
    )
    assert await asyncio.wait_for(crashed.wait(), 60) == 17, "it applied the batch, then died"
    assert await effects(pool) == [event.id]

    # Its successor in the same group is handed the uncommitted event again...
    broker, consumer = await start_consumer(pool, producer, topics, kafka)
    try:
        await eventually(lambda: consumer.stats.duplicates >= 1, timeout_s=60)
    finally:
        await broker.stop()
    # ...and recognises it: the effect exists once.
    assert await effects(pool) == [event.id]
    assert consumer.stats.applied == 0


async def test_a_poison_event_goes_to_the_dead_letter_topic_and_the_partition_moves_on(
    pool, producer, topics, kafka
) -> None:
    topic = topics.name(Topic.ENROLMENT)
    poison = enrolment_created("same-key")
    poison = poison.model_copy(update={"data": poison.data.model_copy(update={"name": "poison"})})
    healthy = enrolment_created("same-key", 1)
    await producer.send_and_wait(topic, poison.to_json(), key=b"same-key")
    await producer.send_and_wait(topic, b"{not json", key=b"same-key")
    await producer.send_and_wait(topic, healthy.to_json(), key=b"same-key")

    broker, consumer = await start_consumer(
        pool, producer, topics, kafka, max_attempts=3, retry_backoff_s=0.01
    )
    try:
        await eventually(lambda: effects(pool), timeout_s=60)
        dead = await read_topic(
            kafka, [topics.dead_letter(Topic.ENROLMENT)], until=lambda r: len(r) >= 2
        )
    finally:
        await broker.stop()

    assert await effects(pool) == [healthy.id]
    by_value = {r.value: dict(r.headers) for r in dead}
    poisoned = by_value[poison.to_json()]
    assert poisoned["dlt.error"] == b"cannot apply same-key"
    assert poisoned["dlt.error.type"] == b"ValueError"
    assert poisoned["dlt.attempts"] == b"3"
    assert poisoned["dlt.original.topic"] == topic.encode()
    malformed = by_value[b"{not json"]
    assert malformed["dlt.attempts"] == b"1", "what cannot be decoded is not retried"
    assert consumer.stats.dead_lettered == 2


async def test_the_same_event_twice_in_one_batch_is_applied_once(
    pool, producer, topics, kafka
) -> None:
    event = enrolment_created("twice")
    for _ in range(2):
        await producer.send_and_wait(topics.name(Topic.ENROLMENT), event.to_json(), key=b"twice")
    broker, consumer = await start_consumer(pool, producer, topics, kafka)
    try:
        await eventually(
            lambda: consumer.stats.applied + consumer.stats.duplicates >= 2, timeout_s=60
        )
    finally:
        await broker.stop()
    assert await effects(pool) == [event.id]
    assert (consumer.stats.applied, consumer.stats.duplicates) == (1, 1)


async def test_handlers_statements_are_planned_for_each_batch(
    pool, producer, topics, kafka
) -> None:
    """Not by a plan kept from when the tables were small (see `_apply_in_one_transaction`)."""

    async def record_plan_cache_mode(tx: Transaction, event) -> None:
        await tx.conn.execute(
            "INSERT INTO effects (event_id) SELECT current_setting('plan_cache_mode')"
        )

    event = enrolment_created("planned")
    await producer.send_and_wait(topics.name(Topic.ENROLMENT), event.to_json(), key=b"planned")
    broker, consumer = await start_consumer(
        pool, producer, topics, kafka, handler=record_plan_cache_mode
    )
    try:
        await eventually(lambda: consumer.stats.applied >= 1, timeout_s=60)
    finally:
        await broker.stop()
    assert await effects(pool) == ["force_custom_plan"]
    assert await pool.fetchval("SELECT current_setting('plan_cache_mode')") == "auto", (
        "for the consumer's transactions only"
    )
