"""The outbox relay against a real PostgreSQL and a real Kafka broker."""

import asyncio
import json
from collections import defaultdict
from pathlib import Path

import asyncpg
import pytest
from onboarding_contracts import EnrolmentCreated, Topic
from onboarding_contracts.events import EnrolmentCreatedData
from onboarding_devtools.testing import eventually, read_topic
from onboarding_kit import outbox
from onboarding_kit.db import KIT_MIGRATIONS, apply_migrations, create_pool
from onboarding_kit.kafka import TopicNames, ensure_topics
from onboarding_kit.outbox import OutboxRelay

pytestmark = pytest.mark.integration


def enrolment_created(enrolment_id: str, n: int = 0) -> EnrolmentCreated:
    return EnrolmentCreated(
        source="/test",
        subject=enrolment_id,
        tenant_id="t",
        correlation_id="c",
        data=EnrolmentCreatedData(
            enrolment_id=enrolment_id,
            email=f"p{n}@example.org",
            name=f"Person {n}",
            external_id=str(n),
            role="learner",
            course="c1",
        ),
    )


@pytest.fixture
async def pool(database: str) -> asyncpg.Pool:
    pool = await create_pool(database, size=6)
    async with pool.acquire() as conn:
        await apply_migrations(conn, [("kit", KIT_MIGRATIONS)])
    yield pool
    await pool.close()


@pytest.fixture
async def topics(kafka: str, topic_prefix: str) -> TopicNames:
    names = TopicNames(topic_prefix)
    await ensure_topics(kafka, names.all(), partitions=3)
    return names


def relay(pool, database, producer, topics, **kwargs) -> OutboxRelay:
    return OutboxRelay(pool=pool, dsn=database, producer=producer, topics=topics, **kwargs)


async def test_migrations_apply_once(database: str) -> None:
    conn = await asyncpg.connect(database)
    try:
        first = await apply_migrations(conn, [("kit", KIT_MIGRATIONS)])
        again = await apply_migrations(conn, [("kit", KIT_MIGRATIONS)])
    finally:
        await conn.close()
    assert first == [
        "kit/0001_outbox_inbox.sql",
        "kit/0002_drop_outbox_key_index.sql",
        "kit/0003_outbox_dead.sql",
        "kit/0004_dead_letter_replays.sql",
        "kit/0005_outbox_trace_context.sql",
    ]
    assert again == []


async def test_a_migration_that_fails_leaves_nothing_half_applied(
    database: str, tmp_path: Path
) -> None:
    (tmp_path / "0001_ok.sql").write_text("CREATE TABLE a (x int);")
    (tmp_path / "0002_bad.sql").write_text("CREATE TABLE b (x int); SELECT no_such_function();")
    conn = await asyncpg.connect(database)
    try:
        with pytest.raises(asyncpg.UndefinedFunctionError):
            await apply_migrations(conn, [("svc", tmp_path)])
        assert await conn.fetchval("SELECT to_regclass('a') IS NOT NULL")
        assert await conn.fetchval("SELECT to_regclass('b') IS NULL")
        names = await conn.fetch("SELECT name FROM schema_migrations WHERE namespace = 'svc'")
        assert [r["name"] for r in names] == ["0001_ok.sql"]
    finally:
        await conn.close()


async def test_rolled_back_events_are_never_published(
    pool, database, producer, topics, kafka
) -> None:
    with pytest.raises(RuntimeError):
        async with pool.acquire() as conn, conn.transaction():
            await outbox.append(conn, [enrolment_created("rolled-back")])
            raise RuntimeError("the state change failed")
    async with pool.acquire() as conn, conn.transaction():
        await outbox.append(conn, [enrolment_created("committed")])
    assert await relay(pool, database, producer, topics).publish_pending() == 1
    records = await read_topic(kafka, [topics.name(Topic.ENROLMENT)], until=lambda r: len(r) >= 1)
    assert [r.key for r in records] == [b"committed"]


async def test_an_event_the_broker_refuses_is_set_aside_and_the_rest_flows(
    pool, database, producer, topics, kafka
) -> None:
    # A row too large for the broker (written past `append`'s own limit, as an older
    # version could), between two good ones.
    huge = enrolment_created("huge").model_copy(update={"source": "x" * 1_100_000})
    async with pool.acquire() as conn, conn.transaction():
        await outbox.append(conn, [enrolment_created("before")])
        await conn.execute(
            "INSERT INTO outbox (topic, key, event_id, event_type, payload) "
            "VALUES ($1, $2, $3, $4, $5)",
            str(Topic.ENROLMENT), huge.subject, huge.id, huge.type, huge.model_dump_json(),
        )  # fmt: skip
        await outbox.append(conn, [enrolment_created("after")])
    running = relay(pool, database, producer, topics)
    assert await running.publish_pending() == 3
    records = await read_topic(kafka, [topics.name(Topic.ENROLMENT)], until=lambda r: len(r) >= 2)
    assert sorted(r.key for r in records) == [b"after", b"before"]
    dead = await pool.fetch("SELECT event_id, error FROM outbox_dead")
    assert [r["event_id"] for r in dead] == [huge.id]
    assert "TooLarge" in dead[0]["error"]
    assert await _outbox_is_empty(pool)
    assert (running.published, running.set_aside) == (2, 1)


async def test_append_refuses_an_event_larger_than_the_broker_takes(pool) -> None:
    huge = enrolment_created("huge").model_copy(update={"source": "x" * 1_000_000})
    with pytest.raises(outbox.EventTooLarge):
        async with pool.acquire() as conn, conn.transaction():
            await outbox.append(conn, [huge])
    assert await _outbox_is_empty(pool)


async def test_rows_committed_while_no_relay_ran_are_published_when_one_starts(
    pool, database, producer, topics, kafka
) -> None:
    # The service committed its state change and events, then stopped before publishing.
    events = [enrolment_created(f"e{i}", i) for i in range(3)]
    async with pool.acquire() as conn, conn.transaction():
        await outbox.append(conn, events)
    # A new process starts its relay: the rows go out, keyed by subject, and leave the table.
    task = asyncio.create_task(relay(pool, database, producer, topics).run())
    try:
        records = await read_topic(
            kafka, [topics.name(Topic.ENROLMENT)], until=lambda r: len(r) >= 3
        )
        await eventually(lambda: _outbox_is_empty(pool))
    finally:
        task.cancel()
    assert sorted(r.key for r in records) == [b"e0", b"e1", b"e2"]
    assert {json.loads(r.value)["id"] for r in records} == {e.id for e in events}
    headers = dict(records[0].headers)
    assert headers["content-type"] == b"application/cloudevents+json"
    assert headers["ce_type"] == b"onboarding.enrolment.created"


async def _outbox_is_empty(pool) -> bool:
    return await pool.fetchval("SELECT count(*) FROM outbox") == 0


async def test_notify_wakes_the_relay_long_before_its_poll_interval(
    pool, database, producer, topics, kafka
) -> None:
    running = relay(pool, database, producer, topics, poll_interval_s=300)
    task = asyncio.create_task(running.run())
    try:
        await asyncio.sleep(0.5)  # the relay has drained nothing and is waiting
        async with pool.acquire() as conn, conn.transaction():
            await outbox.append(conn, [enrolment_created("woken")])
        # Without LISTEN/NOTIFY the row would wait 300 s for the next poll.
        records = await read_topic(
            kafka, [topics.name(Topic.ENROLMENT)], until=lambda r: len(r) >= 1, timeout_s=10
        )
    finally:
        task.cancel()
    assert records[0].key == b"woken"


async def test_relays_of_several_replicas_publish_each_row_once_and_keep_each_key_in_order(
    pool, database, producer, topics, kafka
) -> None:
    keys = [f"k{i}" for i in range(20)]
    events = [enrolment_created(keys[n % 20], n) for n in range(600)]
    async with pool.acquire() as conn, conn.transaction():
        await outbox.append(conn, events)
    relays = [relay(pool, database, producer, topics, batch_size=50) for _ in range(3)]
    tasks = [asyncio.create_task(r.run()) for r in relays]
    try:
        records = await read_topic(
            kafka, [topics.name(Topic.ENROLMENT)], until=lambda r: len(r) >= 600, timeout_s=60
        )
        await asyncio.sleep(1)  # anything published twice would arrive by now
        records = await read_topic(
            kafka, [topics.name(Topic.ENROLMENT)], until=lambda r: len(r) >= 600
        )
    finally:
        for task in tasks:
            task.cancel()
    ids = [json.loads(r.value)["id"] for r in records]
    assert len(ids) == 600 and set(ids) == {e.id for e in events}
    assert sum(r.published for r in relays) == 600, "no relay published a row twice"
    published_order: dict[bytes, list[str]] = defaultdict(list)
    for record in sorted(records, key=lambda r: (r.partition, r.offset)):
        published_order[record.key].append(json.loads(record.value)["id"])
    for key in keys:
        assert published_order[key.encode()] == [e.id for e in events if e.subject == key]


async def test_while_one_replica_publishes_another_waits_then_takes_over(
    pool, database, producer, topics, kafka
) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await outbox.append(conn, [enrolment_created("waiting")])
    standby = relay(pool, database, producer, topics)
    async with pool.acquire() as busy, busy.transaction():
        # Another replica's relay is in the middle of a batch: it holds the relay lock.
        await busy.execute("SELECT pg_advisory_xact_lock($1)", outbox._RELAY_LOCK)
        assert await standby.publish_pending() == 0
    assert await standby.publish_pending() == 1
    records = await read_topic(kafka, [topics.name(Topic.ENROLMENT)], until=lambda r: len(r) >= 1)
    assert [r.key for r in records] == [b"waiting"]
