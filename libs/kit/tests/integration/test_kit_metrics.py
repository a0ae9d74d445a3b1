"""The relay and the consumer move their metrics, against a real PostgreSQL and Kafka."""

import asyncio
import contextlib

import pytest
from faststream.kafka import KafkaBroker
from onboarding_contracts import Topic
from onboarding_devtools.testing import eventually
from onboarding_kit import outbox
from onboarding_kit.consumer import EventConsumer, Subscriptions
from onboarding_kit.metrics import ServiceMetrics
from onboarding_kit.outbox import OutboxRelay
from onboarding_kit.uow import Transaction

from .test_kit_consumer import record_effect
from .test_kit_outbox import enrolment_created

pytestmark = pytest.mark.integration

CREATED = "onboarding.enrolment.created"


def value(metrics: ServiceMetrics, name: str, **labels: str) -> float:
    return metrics.registry.get_sample_value(name, {"service": "test", **labels}) or 0.0


async def test_the_relay_reports_outbox_depth_age_and_what_it_published(
    pool, database, producer, topics
) -> None:
    metrics = ServiceMetrics("test")
    async with pool.acquire() as conn, conn.transaction():
        await outbox.append(conn, [enrolment_created(f"m{n}", n) for n in range(3)])
    relay = OutboxRelay(
        pool=pool,
        dsn=database,
        producer=producer,
        topics=topics,
        metrics=metrics,
        sample_interval_s=0,
    )
    await asyncio.sleep(0.05)
    await relay.sample()
    assert value(metrics, "onboarding_outbox_depth") == 3
    assert value(metrics, "onboarding_outbox_oldest_age_seconds") > 0

    task = asyncio.create_task(relay.run())
    try:
        await eventually(
            lambda: value(metrics, "onboarding_outbox_published_total") == 3, timeout_s=30
        )
        await eventually(lambda: value(metrics, "onboarding_outbox_depth") == 0, timeout_s=30)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    assert value(metrics, "onboarding_outbox_oldest_age_seconds") == 0
    assert value(metrics, "onboarding_outbox_set_aside_total") == 0


async def test_the_consumer_counts_applied_duplicate_and_dead_lettered_events(
    pool, producer, topics, kafka
) -> None:
    metrics = ServiceMetrics("test")
    consumer = EventConsumer(
        name="metrics-consumer",
        pool=pool,
        producer=producer,
        topics=topics,
        subscriptions=Subscriptions(Transaction, {CREATED: record_effect}),
        max_attempts=1,
        metrics=metrics,
    )
    event = enrolment_created("twice")
    poison = enrolment_created("poison")
    poison = poison.model_copy(update={"data": poison.data.model_copy(update={"name": "poison"})})
    topic = topics.name(Topic.ENROLMENT)
    broker = KafkaBroker(kafka)
    consumer.subscribe(broker)
    await broker.start()
    try:
        await producer.send_and_wait(topic, event.to_json(), key=b"twice")
        await eventually(lambda: consumer.stats.applied == 1, timeout_s=60)
        await producer.send_and_wait(topic, event.to_json(), key=b"twice")  # a redelivery
        await producer.send_and_wait(topic, poison.to_json(), key=b"poison")
        await producer.send_and_wait(topic, b"{not json", key=b"junk")
        await eventually(lambda: consumer.stats.duplicates == 1, timeout_s=60)
        await eventually(lambda: consumer.stats.dead_lettered == 2, timeout_s=60)
    finally:
        await broker.stop()

    def consumed(outcome: str, event_type: str = CREATED) -> float:
        return value(
            metrics, "onboarding_events_consumed_total", event_type=event_type, outcome=outcome
        )

    assert consumed("applied") == 1
    assert consumed("duplicate") == 1
    assert consumed("dead_lettered") == 1
    assert consumed("dead_lettered", "undecodable") == 1
    durations = value(
        metrics, "onboarding_event_handler_duration_seconds_count", event_type=CREATED
    )
    assert durations == 1, "only the applied event's handler run is observed"
