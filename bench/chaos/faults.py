"""The faults: what each does, and what it is charged with.

- a service: SIGKILL (no shutdown of any kind), a pause, then the same command again on the
  same port, database and topics;
- kafka: SIGKILL of the broker's JVM, a pause, then `deploy/local/kafka.sh start` on the same
  data directory (the broker recovers its logs);
- postgres: an immediate shutdown (SIGQUIT to the postmaster, which is what `pg_ctl stop -m
  immediate` sends), then `deploy/local/postgres.sh start` at once (crash recovery): the
  `pg_ctl restart -m immediate` of the issue.

A message sent twice is charged to the fault that came between its two copies (by their
files' write times, allowing for a batch that goes on sending for a moment after the fault):
the one that struck while the batch that first sent it was uncommitted.
"""

import asyncio
import time
from dataclasses import dataclass

from onboarding_devtools.devstack import SERVICES

from bench.chaos.infra import OwnInfra
from bench.chaos.services import Services
from bench.chaos.settings import KAFKA, POSTGRES


@dataclass
class Fault:
    target: str
    threshold: int  # people emailed before it is injected
    injected_ns: int = 0
    at_s: float = 0.0  # since the import was sent
    emailed_before: int = 0  # people emailed when it was injected
    killed_pid: int = 0
    restarted_after_s: float = 0.0  # from the kill until the restart was begun
    ready_after_s: float = 0.0  # from the kill until every service answered ready again
    registrations: int = 0  # people who began registering with it
    not_ready: str = ""  # the services that were not ready again in time, if any
    threshold_reached: bool = True

    @property
    def label(self) -> str:
        if self.target in SERVICES:
            return f"kill -9 {self.target}"
        if self.target == KAFKA:
            return "kill -9 kafka broker"
        if self.target == POSTGRES:
            return "postgres immediate restart"
        return self.target


def plan(targets: tuple[str, ...], people: int) -> list[Fault]:
    """When each fault comes: as the emails go out, evenly spaced, so that every fault meets
    work in flight and some is left after the last. A kill of the enrolment service that
    comes first comes as soon as the import is accepted, while it is still publishing it."""
    count = len(targets)
    offset = 0 if targets[0] == "enrolment" else 1
    return [
        Fault(target, threshold=people * (index + offset) // (count + offset))
        for index, target in enumerate(targets)
    ]


async def inject(
    fault: Fault,
    *,
    services: Services,
    infra: OwnInfra,
    pause_s: float,
    ready_timeout_s: float,
) -> None:
    """Inject the fault, restart what it killed, and wait until every service is ready."""
    started = time.monotonic()
    fault.injected_ns = time.time_ns()
    if fault.target in SERVICES:
        fault.killed_pid = services.kill(fault.target)
        await asyncio.sleep(pause_s)
        fault.restarted_after_s = time.monotonic() - started
        services.restart(fault.target)
    elif fault.target == KAFKA:
        fault.killed_pid = await asyncio.to_thread(infra.kill_kafka)
        await asyncio.sleep(pause_s)
        fault.restarted_after_s = time.monotonic() - started
        await asyncio.to_thread(infra.start_kafka)
    elif fault.target == POSTGRES:
        fault.killed_pid = await asyncio.to_thread(infra.crash_postgres)
        fault.restarted_after_s = time.monotonic() - started
        await asyncio.to_thread(infra.start_postgres)
    else:
        raise ValueError(f"unknown fault {fault.target}")
    try:
        await services.wait_ready(timeout_s=ready_timeout_s)
    except TimeoutError as error:  # noted; the drain has its own limit
        fault.not_ready = str(error)
    fault.ready_after_s = time.monotonic() - started


# A batch's messages may be written a little after the fault that breaks the batch: a
# database restart stops its commit, not its sending, and a busy sink writes what a killed
# sender had already put into the socket a moment after the kill. A batch takes a few
# seconds at most, and faults come further apart than this.
BATCH_GRACE_NS = 5_000_000_000


def cause_of(faults: list[Fault], first_ns: int, again_ns: int) -> int:
    """The fault a message sent twice is charged to: the first one injected after the batch
    that first sent it began (its first copy was written before the fault, or at most
    `BATCH_GRACE_NS` after it) and before the message was written again: the fault that
    struck while that batch was uncommitted. -1 when no fault came between the two."""
    for index, fault in enumerate(faults):
        if fault.injected_ns and first_ns - BATCH_GRACE_NS <= fault.injected_ns <= again_ns:
            return index
    return -1
