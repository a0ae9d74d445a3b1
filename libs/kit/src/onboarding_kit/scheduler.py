"""Periodic jobs, one runner per database whatever the number of replicas.

Each run of a job takes a transaction-scoped advisory lock named after the job: of several
replicas waking at the same moment, one runs it and the others skip that turn. The job's
work commits with the run; a run that fails is logged and tried again at the next turn.
"""

import asyncio
import logging
import zlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import asyncpg

from onboarding_kit.clock import Clock, utcnow
from onboarding_kit.uow import Transaction

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PeriodicJob:
    """`run(tx)` every `every_s` seconds; it returns how many things it did (for the log).
    `transaction` builds the transaction type the job works in."""

    name: str
    every_s: float
    run: Callable[[Any], Awaitable[int]]
    transaction: Callable[[asyncpg.Connection], Transaction] = Transaction


def job_lock(name: str) -> int:
    """A stable advisory-lock key per job name (CRC32, shifted clear of the kit's others)."""
    return 0x6A6F6200000000 + zlib.crc32(name.encode())


@dataclass
class Scheduler:
    pool: asyncpg.Pool
    jobs: Sequence[PeriodicJob]
    runs: dict[str, int] = field(default_factory=dict)

    async def run_once(self, job: PeriodicJob) -> int | None:
        """One turn of `job`; None when another replica holds it this turn."""
        async with self.pool.acquire() as conn, conn.transaction():
            if not await conn.fetchval("SELECT pg_try_advisory_xact_lock($1)", job_lock(job.name)):
                return None
            done = await job.run(job.transaction(conn))
        self.runs[job.name] = self.runs.get(job.name, 0) + 1
        if done:
            log.info("periodic job ran", extra={"job": job.name, "done": done})
        return done

    async def run(self) -> None:
        """Run every job on its own schedule until cancelled."""
        await asyncio.gather(*(self._every(job) for job in self.jobs))

    async def _every(self, job: PeriodicJob) -> None:
        while True:
            try:
                await self.run_once(job)
            except Exception:
                log.exception("periodic job failed; it runs again at its next turn")
            await asyncio.sleep(job.every_s)


def prune_inbox(retention: timedelta, now: Clock = utcnow, batch: int = 10_000) -> PeriodicJob:
    """Forget applied event ids older than `retention`. It must outlast the topics' own
    retention (Kafka keeps a week by default): an event still on a topic must still be
    recognised when redelivered."""

    async def prune(tx: Transaction) -> int:
        deleted: str = await tx.conn.execute(
            """DELETE FROM inbox WHERE ctid IN (
                   SELECT ctid FROM inbox WHERE processed_at < $1 LIMIT $2)""",
            now() - retention,
            batch,
        )
        return int(deleted.rsplit(" ", 1)[-1])

    return PeriodicJob("kit.prune_inbox", every_s=600, run=prune)
