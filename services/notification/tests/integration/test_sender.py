"""The sender (`Dispatcher`) over a real PostgreSQL, with channels of the test's own: a
crash re-sends at most the messages in flight, a database that cannot record re-sends
nothing, a tenant's big queue does not hold back another's message, temporary failures
are retried and given up in time, a server that asks to slow down gets fewer slots, and
tries that end close together are recorded together while a lone one is recorded at once."""

import asyncio
import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

import asyncpg
import pytest
from notification.app import MIGRATIONS
from notification.domain.delivery import RetryPolicy
from notification.domain.mime import OutgoingEmail
from notification.domain.pacing import Pacing
from notification.errors import DeliveryDeferred
from notification.store import MESSAGES_QUEUED, NotificationTransaction
from notification.use_cases.delivering import Channels
from notification.use_cases.dispatching import Dispatcher, SenderConfig
from notification.use_cases.queueing import queue_link_messages
from onboarding_devtools.testing import eventually
from onboarding_kit.db import KIT_MIGRATIONS, apply_migrations
from onboarding_kit.sealing import Sealer
from onboarding_kit.uow import UnitOfWork
from onboarding_kit.wakeup import Wakeup

from .conftest import Invitations

pytestmark = pytest.mark.integration


@dataclass
class Mailbox:
    """An email channel that records what it was handed, and can be made to hang, defer,
    or ask to slow down."""

    handed: list[str] = field(default_factory=list)  # recipients, in the order handed over
    hang: asyncio.Event | None = None  # set: every send after handing over waits on it
    defer_first: int = 0  # the first N sends are deferred
    slow_down: bool = False
    takes_s: float = 0.0  # the Nth send takes N times this long
    sends: int = 0

    async def send(self, message: OutgoingEmail) -> None:
        self.sends += 1
        if self.takes_s:
            await asyncio.sleep(self.sends * self.takes_s)
        if self.sends <= self.defer_first:
            raise DeliveryDeferred("451 try again later", slow_down=self.slow_down)
        self.handed.append(message.recipient)
        if self.hang is not None:
            await self.hang.wait()


@pytest.fixture
async def pool(database: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await asyncpg.create_pool(database, min_size=1, max_size=8)
    async with pool.acquire() as conn:
        await apply_migrations(conn, [("kit", KIT_MIGRATIONS), ("notification", MIGRATIONS)])
    yield pool
    await pool.close()


def sender(
    pool: asyncpg.Pool,
    database: str,
    mailbox: Mailbox,
    invitations: Invitations,
    *,
    concurrency: int = 4,
    lease_s: float = 30,
    retries: RetryPolicy | None = None,
    uow: UnitOfWork[NotificationTransaction] | None = None,
    record_gather_s: float = 0.05,
) -> Dispatcher:
    return Dispatcher(
        uow=uow or UnitOfWork(lambda: pool, NotificationTransaction),
        channels=Channels(
            email=mailbox,
            sms=None,
            sealer=Sealer(invitations.key),
            mail_from="Onboarding <no-reply@onboarding.local>",
            sign_in_url="https://learn.example.org/",
            sms_status_callback_url=None,
        ),
        pacing=Pacing(default_rate=1000),
        retries=retries or RetryPolicy(base_s=0.05, cap_s=0.2),
        clock=lambda: datetime.now(UTC),
        wakeup=Wakeup(database, MESSAGES_QUEUED),
        config=SenderConfig(
            concurrency=concurrency,
            lease_s=lease_s,
            poll_interval_s=0.05,
            record_gather_s=record_gather_s,
        ),
    )


async def queue(pool: asyncpg.Pool, invitations: Invitations, *events) -> None:
    async with UnitOfWork(lambda: pool, NotificationTransaction)() as tx:
        await queue_link_messages(tx, events, datetime.now(UTC), Sealer(invitations.key))


@asynccontextmanager
async def working(dispatcher: Dispatcher) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(dispatcher.run())
    try:
        yield task
    finally:
        await dispatcher.stop()
        await asyncio.wait_for(task, 10)


async def statuses(pool: asyncpg.Pool) -> dict[str, int]:
    rows = await pool.fetch("SELECT status, count(*) AS n FROM messages GROUP BY status")
    return {r["status"]: r["n"] for r in rows}


def people(invitations: Invitations, count: int, tenant: str = "tenant-1", tag: str = "p"):
    return [
        invitations.issued(f"inv-{tag}{n}", email=f"{tag}{n}@example.org", tenant_id=tenant)
        for n in range(count)
    ]


async def test_a_crash_while_sending_resends_only_the_messages_in_flight(
    pool, database, invitations
) -> None:
    await queue(pool, invitations, *people(invitations, 20))
    hung = Mailbox(hang=asyncio.Event())
    crashed = sender(pool, database, hung, invitations, concurrency=4, lease_s=1)
    run = asyncio.create_task(crashed.run())
    await eventually(lambda: len(hung.handed) == 4)
    await asyncio.sleep(0.3)
    assert len(hung.handed) == 4, "nothing more is taken while every slot is busy"
    # kill -9: nothing of the sender runs on; its four messages stay leased.
    for task in [run, *itertools.chain(*crashed.in_flight.values())]:
        task.cancel()
    await asyncio.gather(run, return_exceptions=True)
    await crashed.wakeup.close()

    mailbox = Mailbox()
    async with working(sender(pool, database, mailbox, invitations, lease_s=1)):
        await eventually(lambda: len(mailbox.handed) == 20, timeout_s=20)
        assert await eventually(lambda: _all_sent(pool, 20), timeout_s=10), (
            "every message recorded sent"
        )
    twice = set(hung.handed) & set(mailbox.handed)
    assert twice == set(hung.handed), "the four in flight went again, and nothing else"
    assert len(twice) == 4 <= crashed.config.concurrency


async def _all_sent(pool: asyncpg.Pool, count: int) -> bool:
    return (await statuses(pool)) == {"sent": count}


class FlakyUnitOfWork(UnitOfWork[NotificationTransaction]):
    """Transactions that fail (as a database that restarts) while `down` is set."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        super().__init__(lambda: pool, NotificationTransaction)
        self.down = False
        self.refused = 0

    @asynccontextmanager
    async def __call__(self) -> AsyncIterator[NotificationTransaction]:
        if self.down:
            self.refused += 1
            raise ConnectionRefusedError("the database is restarting")
        async with super().__call__() as tx:
            yield tx


async def test_a_database_that_cannot_record_for_a_while_resends_nothing(
    pool, database, invitations
) -> None:
    await queue(pool, invitations, *people(invitations, 12))
    flaky = FlakyUnitOfWork(pool)
    mailbox = Mailbox()
    original_send = mailbox.send

    async def send_then_lose_the_database(message: OutgoingEmail) -> None:
        await original_send(message)
        if len(mailbox.handed) == 2:
            flaky.down = True  # the database goes down as the second message is handed over

    mailbox.send = send_then_lose_the_database  # type: ignore[method-assign]
    async with working(sender(pool, database, mailbox, invitations, uow=flaky)):
        await eventually(lambda: flaky.refused >= 5, timeout_s=10)
        held = len(mailbox.handed)
        flaky.down = False
        await eventually(lambda: _all_sent(pool, 12), timeout_s=20)
    assert held <= 4, "while nothing could be recorded, no more than the slots went out"
    assert sorted(mailbox.handed) == sorted(f"p{n}@example.org" for n in range(12)), "once each"


async def test_a_big_import_of_one_tenant_does_not_hold_back_another_tenants_message(
    pool, database, invitations
) -> None:
    await queue(pool, invitations, *people(invitations, 300, tenant="big", tag="b"))
    await queue(
        pool, invitations, invitations.issued("inv-small", email="s@example.org", tenant_id="small")
    )
    mailbox = Mailbox()
    async with working(sender(pool, database, mailbox, invitations, concurrency=4)):
        await eventually(lambda: "s@example.org" in mailbox.handed, timeout_s=20)
        position = mailbox.handed.index("s@example.org")
    assert position < 8, f"the other tenant's message went {position + 1}th, not after 300"


async def test_temporary_failures_are_retried_then_given_up_in_time(
    pool, database, invitations
) -> None:
    await queue(pool, invitations, *people(invitations, 2))
    mailbox = Mailbox(defer_first=3)
    async with working(sender(pool, database, mailbox, invitations, concurrency=1)):
        await eventually(lambda: _all_sent(pool, 2), timeout_s=20)
    rows = await pool.fetch("SELECT attempts FROM messages ORDER BY attempts")
    assert sum(r["attempts"] for r in rows) == 5, "three deferred tries, then two sent"

    await pool.execute("DELETE FROM messages")
    await queue(pool, invitations, invitations.issued("inv-never", email="n@example.org"))
    never = Mailbox(defer_first=10**6)
    patience = RetryPolicy(base_s=0.05, cap_s=0.1, give_up_after_s=0.5)
    async with working(sender(pool, database, never, invitations, retries=patience)):
        await eventually(lambda: _failed(pool), timeout_s=20)
    (row,) = await pool.fetch("SELECT status, attempts, last_error FROM messages")
    assert row["status"] == "failed"
    assert row["last_error"].startswith(f"gave up after {row['attempts']} attempts: 451")
    assert row["attempts"] >= 2


async def _failed(pool: asyncpg.Pool) -> bool:
    return (await statuses(pool)) == {"failed": 1}


async def test_a_server_asking_to_slow_down_gets_fewer_slots_and_everything_still_goes(
    pool, database, invitations
) -> None:
    await queue(pool, invitations, *people(invitations, 10))
    mailbox = Mailbox(defer_first=2, slow_down=True)
    dispatcher = sender(pool, database, mailbox, invitations, concurrency=8)
    async with working(dispatcher):
        await eventually(lambda: dispatcher.pacing.channel_pace("email") < 1, timeout_s=10)
        assert dispatcher.pacing.channel_pace("email") <= 0.5
        await eventually(lambda: _all_sent(pool, 10), timeout_s=20)
    assert sorted(mailbox.handed) == sorted(f"p{n}@example.org" for n in range(10))


async def _recording_transactions(pool: asyncpg.Pool) -> int:
    """How many transactions recorded the messages sent (each row keeps its writer's id)."""
    return int(await pool.fetchval("SELECT count(DISTINCT xmin::text) FROM messages"))


async def test_tries_ending_close_together_are_recorded_in_one_transaction(
    pool, database, invitations
) -> None:
    await queue(pool, invitations, *people(invitations, 8))
    mailbox = Mailbox(takes_s=0.02)  # the eight end one by one over 160 ms
    gathering = sender(pool, database, mailbox, invitations, concurrency=8, record_gather_s=1)
    async with working(gathering):
        await eventually(lambda: _all_sent(pool, 8), timeout_s=10)
    assert await _recording_transactions(pool) == 1, "the eight recorded together"

    await pool.execute("DELETE FROM messages")
    await queue(pool, invitations, *people(invitations, 8, tag="q"))
    mailbox = Mailbox(takes_s=0.02)
    at_once = sender(pool, database, mailbox, invitations, concurrency=8, record_gather_s=0)
    async with working(at_once):
        await eventually(lambda: _all_sent(pool, 8), timeout_s=10)
    assert await _recording_transactions(pool) >= 4, "without gathering, each as it ends"


async def test_a_lone_try_is_recorded_without_waiting_to_gather(
    pool, database, invitations
) -> None:
    await queue(pool, invitations, *people(invitations, 1))
    lone = sender(pool, database, Mailbox(), invitations, record_gather_s=30)
    async with working(lone):
        assert await eventually(lambda: _all_sent(pool, 1), timeout_s=5), (
            "recorded once nothing else was being tried, not after the 30 s gathering"
        )
