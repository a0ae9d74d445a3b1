"""The enrolment service's periodic jobs (run by the kit's scheduler, one runner per
database whatever the number of replicas)."""

from functools import partial

from onboarding_kit.scheduler import PeriodicJob

from enrolment.bootstrap import EnrolmentDependencies
from enrolment.store import EnrolmentTransaction
from enrolment.use_cases.reminding import remind_due
from enrolment.use_cases.stalled_imports import (
    STALLED_IMPORTS_EVERY_S,
    STALLED_IMPORTS_JOB,
    sample_stalled_imports,
)


def jobs(deps: EnrolmentDependencies) -> list[PeriodicJob]:
    return [
        PeriodicJob(
            "scheduled-reminders",
            every_s=deps.settings.reminder_sweep_interval_s,
            run=partial(remind_due, clock=deps.clock, new_id=deps.new_id),
            transaction=EnrolmentTransaction,
        ),
        PeriodicJob(
            STALLED_IMPORTS_JOB,
            every_s=STALLED_IMPORTS_EVERY_S,
            run=partial(sample_stalled_imports, clock=deps.clock, gauge=deps.metrics),
            transaction=EnrolmentTransaction,
        ),
    ]
