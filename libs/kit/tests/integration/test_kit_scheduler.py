"""Periodic jobs run once per turn whatever the number of replicas; the inbox is pruned."""

import asyncio
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from onboarding_kit.db import KIT_MIGRATIONS, apply_migrations, create_pool
from onboarding_kit.scheduler import PeriodicJob, Scheduler, prune_inbox
from onboarding_kit.uow import Transaction

pytestmark = pytest.mark.integration

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
async def pool(database: str):
    pool = await create_pool(database, size=6)
    async with pool.acquire() as conn:
        await apply_migrations(conn, [("kit", KIT_MIGRATIONS)])
    yield pool
    await pool.close()


async def test_of_two_replicas_waking_together_one_runs_the_job(pool: asyncpg.Pool) -> None:
    entered = asyncio.Event()
    release = asyncio.Event()
    calls = 0

    async def slow_job(tx: Transaction) -> int:
        nonlocal calls
        calls += 1
        entered.set()
        await release.wait()
        return 1

    job = PeriodicJob("test.slow", every_s=60, run=slow_job)
    first, second = Scheduler(pool, [job]), Scheduler(pool, [job])
    running = asyncio.create_task(first.run_once(job))
    await entered.wait()
    assert await second.run_once(job) is None  # the other replica holds this turn
    release.set()
    assert await running == 1
    assert calls == 1
    assert await second.run_once(job) == 1  # the next turn is free again


async def test_a_failing_run_is_rolled_back_and_tried_at_the_next_turn(pool) -> None:
    attempts = 0
    second_run = asyncio.Event()

    async def flaky(tx: Transaction) -> int:
        nonlocal attempts
        attempts += 1
        await tx.conn.execute(
            "INSERT INTO inbox (consumer, event_id) VALUES ('c', $1)", str(attempts)
        )
        if attempts == 1:
            raise RuntimeError("first run fails")
        second_run.set()
        return 1

    scheduler = Scheduler(pool, [PeriodicJob("test.flaky", every_s=0.01, run=flaky)])
    task = asyncio.create_task(scheduler.run())
    try:
        await asyncio.wait_for(second_run.wait(), 5)
    finally:
        task.cancel()
    ids = {r["event_id"] for r in await pool.fetch("SELECT event_id FROM inbox")}
    assert "1" not in ids and "2" in ids


async def test_pruning_forgets_only_event_ids_older_than_the_retention(pool) -> None:
    await pool.executemany(
        "INSERT INTO inbox (consumer, event_id, processed_at) VALUES ('c', $1, $2)",
        [("old", NOW - timedelta(days=9)), ("recent", NOW - timedelta(days=7))],
    )
    job = prune_inbox(timedelta(days=8), now=lambda: NOW)
    assert await Scheduler(pool, [job]).run_once(job) == 1
    assert [r["event_id"] for r in await pool.fetch("SELECT event_id FROM inbox")] == ["recent"]
