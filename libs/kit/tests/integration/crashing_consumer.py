"""Run as a separate process by test_kit_consumer: applies one batch, commits its database
transaction, then dies before FastStream can commit the Kafka offsets."""

import asyncio
import os
import sys

from faststream.kafka import KafkaBroker
from onboarding_kit.consumer import EventConsumer, Subscriptions
from onboarding_kit.db import create_pool
from onboarding_kit.kafka import TopicNames, new_producer
from onboarding_kit.uow import Transaction


async def record_effect(tx: Transaction, event: object) -> None:
    await tx.conn.execute("INSERT INTO effects (event_id) VALUES ($1)", event.id)  # type: ignore[attr-defined]


class CrashAfterCommit(EventConsumer):
    async def consume(self, records: object) -> None:
        await self.process_batch(records)  # type: ignore[arg-type]
        os._exit(17)  # killed: the database committed, the offsets never will


async def main(dsn: str, bootstrap: str, prefix: str, group: str) -> None:
    pool = await create_pool(dsn)
    producer = new_producer(bootstrap, client_id="crashing")
    await producer.start()
    consumer = CrashAfterCommit(
        name=group,
        pool=pool,
        producer=producer,
        topics=TopicNames(prefix),
        subscriptions=Subscriptions(Transaction, {"onboarding.enrolment.created": record_effect}),
    )
    broker = KafkaBroker(bootstrap)
    consumer.subscribe(broker)
    await broker.start()
    await asyncio.sleep(60)
    sys.exit("the consumer never received the event")


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:5]))
