"""Fixtures of the consumer tests: a database with the kit's tables and an `effects` table
the test handlers write to, and the topics with a prefix of the test's own."""

import pytest
from onboarding_kit.db import KIT_MIGRATIONS, apply_migrations, create_pool
from onboarding_kit.kafka import TopicNames, ensure_topics


@pytest.fixture
async def pool(database: str):
    pool = await create_pool(database, size=4)
    async with pool.acquire() as conn:
        await apply_migrations(conn, [("kit", KIT_MIGRATIONS)])
        await conn.execute("CREATE TABLE effects (event_id text NOT NULL)")
    yield pool
    await pool.close()


@pytest.fixture
async def topics(kafka: str, topic_prefix: str) -> TopicNames:
    names = TopicNames(topic_prefix)
    await ensure_topics(kafka, names.all(), partitions=2)
    return names
