"""How long an import not settled yet has gone without progress: the periodic job that sets
`onboarding_import_stalled_seconds` (alert ImportStalled, over 300 s).

An import is not settled while it stores its rows, or while any of its people whose
invitation was asked for is not invited yet (the invitation service has not answered).
Progress is a row stored or one of its people moving on (`ImportRows.least_recent_progress`).

The job runs under the scheduler's advisory lock: the replica that runs a turn sets its own
gauge; a replica that skips a turn keeps the value of its last run (none before its first),
and the alert takes the highest over the replicas of the service.
"""

from datetime import datetime
from typing import Protocol

from onboarding_kit.clock import Clock

from enrolment.store import EnrolmentTransaction

STALLED_IMPORTS_JOB = "stalled-imports"
# Seconds between two looks: the alert waits for 300 s without progress, then 1 min more.
STALLED_IMPORTS_EVERY_S = 15.0
# A look that takes longer than this is given up (the job fails that turn, and tries again).
STALLED_IMPORTS_STATEMENT_MS = 5000


class StalledImportsGauge(Protocol):
    def imports_stalled_for(self, seconds: float) -> None: ...


def stalled_for(progressed_at: datetime | None, now: datetime) -> float:
    """Seconds since `progressed_at`, the least recent progress of the imports not settled;
    0 when every import is settled, and never below 0 (a row written by a replica whose
    clock runs ahead)."""
    if progressed_at is None:
        return 0.0
    return max((now - progressed_at).total_seconds(), 0.0)


async def longest_stall(tx: EnrolmentTransaction, now: datetime) -> float:
    """The longest any import not settled yet has gone without progress at `now`."""
    least_recent = await tx.imports.least_recent_progress()
    return stalled_for(least_recent.progressed_at if least_recent else None, now)


async def sample_stalled_imports(
    tx: EnrolmentTransaction, *, clock: Clock, gauge: StalledImportsGauge
) -> int:
    """One turn of the job, in its transaction: set the gauge. Nothing is changed in the
    database, so the scheduler logs nothing (0)."""
    await tx.limit_statement_time(STALLED_IMPORTS_STATEMENT_MS)
    gauge.imports_stalled_for(await longest_stall(tx, clock()))
    return 0
