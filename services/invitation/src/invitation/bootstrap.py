"""The invitation service's dependencies, built once and handed to routes and consumers."""

from dataclasses import dataclass

from onboarding_kit.clock import Clock, utcnow
from onboarding_kit.ids import IdFactory, new_id
from onboarding_kit.runtime import ServiceRuntime
from onboarding_kit.sealing import Sealer
from onboarding_kit.uow import UnitOfWork

from invitation.domain.links import new_token
from invitation.settings import InvitationSettings
from invitation.store import InvitationTransaction
from invitation.use_cases.sending import Links


@dataclass(frozen=True)
class InvitationDependencies:
    settings: InvitationSettings
    uow: UnitOfWork[InvitationTransaction]
    clock: Clock
    new_id: IdFactory
    links: Links  # tokens, accept links, and their seal for the notification service


def bootstrap(
    runtime: ServiceRuntime, settings: InvitationSettings, *, clock: Clock = utcnow
) -> InvitationDependencies:
    """The dependencies over this runtime; `clock` is every route's, consumer's and
    periodic job's time (a test moves it)."""
    return InvitationDependencies(
        settings=settings,
        uow=runtime.unit_of_work(InvitationTransaction),
        clock=clock,
        new_id=new_id,
        links=Links(
            registration_url=settings.registration_public_url,
            sealer=Sealer(settings.invitation_link_key),
            new_token=new_token,
        ),
    )
