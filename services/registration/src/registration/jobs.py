"""The registration service's periodic jobs (run by the kit's scheduler, one runner per
database whatever the number of replicas)."""

from datetime import timedelta
from functools import partial

from onboarding_kit.scheduler import PeriodicJob

from registration.bootstrap import RegistrationDependencies
from registration.store import RegistrationTransaction
from registration.use_cases.release_stale_reservations import release_stale_reservations

RELEASE_EVERY_S = 60  # a username is held at most this much longer than its TTL


def jobs(deps: RegistrationDependencies) -> list[PeriodicJob]:
    return [
        PeriodicJob(
            "registration.release_stale_reservations",
            every_s=RELEASE_EVERY_S,
            run=partial(
                release_stale_reservations,
                ttl=timedelta(minutes=deps.settings.reservation_ttl_minutes),
                clock=deps.clock,
            ),
            transaction=RegistrationTransaction,
        )
    ]
