"""The invitation service's periodic jobs (run by the kit's scheduler, one runner per
database whatever the number of replicas)."""

from functools import partial

from onboarding_kit.scheduler import PeriodicJob

from invitation.bootstrap import InvitationDependencies
from invitation.store import InvitationTransaction
from invitation.use_cases.expiring import expire_invitations

EXPIRE_JOB = "expire-invitations"


def jobs(deps: InvitationDependencies) -> list[PeriodicJob]:
    return [
        PeriodicJob(
            EXPIRE_JOB,
            every_s=deps.settings.expiry_sweep_interval_s,
            run=partial(expire_invitations, clock=deps.clock),
            transaction=InvitationTransaction,
        )
    ]
