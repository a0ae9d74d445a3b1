"""The invitation service's dependencies, built once and handed to routes and consumers."""

from dataclasses import dataclass
from datetime import timedelta

from onboarding_kit.clock import Clock, utcnow
from onboarding_kit.ids import IdFactory, new_id
from onboarding_kit.runtime import ServiceRuntime
from onboarding_kit.sealing import Sealer
from onboarding_kit.uow import UnitOfWork

from invitation.domain.links import IssuePolicy, TokenFactory, new_token
from invitation.settings import InvitationSettings
from invitation.store import InvitationTransaction


@dataclass(frozen=True)
class InvitationDependencies:
    settings: InvitationSettings
    uow: UnitOfWork[InvitationTransaction]
    clock: Clock
    new_id: IdFactory
    new_token: TokenFactory
    sealer: Sealer  # seals accept links for the notification service, the other key holder
    issue_policy: IssuePolicy


def bootstrap(runtime: ServiceRuntime, settings: InvitationSettings) -> InvitationDependencies:
    return InvitationDependencies(
        settings=settings,
        uow=runtime.unit_of_work(InvitationTransaction),
        clock=utcnow,
        new_id=new_id,
        new_token=new_token,
        sealer=Sealer(settings.invitation_link_key),
        issue_policy=IssuePolicy(
            registration_url=settings.registration_public_url,
            ttl=timedelta(hours=settings.invitation_ttl_hours),
        ),
    )
