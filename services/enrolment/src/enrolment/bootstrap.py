"""The enrolment service's dependencies, built once: routes and subscribers get them."""

from dataclasses import dataclass

from onboarding_kit.clock import Clock, utcnow
from onboarding_kit.ids import IdFactory, new_id
from onboarding_kit.metrics import ServiceMetrics
from onboarding_kit.runtime import ServiceRuntime
from onboarding_kit.uow import UnitOfWork

from enrolment.invitations import InvitationClient, Invitations, NoInvitationService
from enrolment.settings import EnrolmentSettings
from enrolment.store import EnrolmentTransaction


@dataclass(frozen=True)
class EnrolmentDependencies:
    settings: EnrolmentSettings
    uow: UnitOfWork[EnrolmentTransaction]
    clock: Clock
    new_id: IdFactory
    invitations: Invitations  # the invitation service, asked to resend
    metrics: ServiceMetrics  # the runtime's, for what the jobs measure


def bootstrap(
    runtime: ServiceRuntime,
    settings: EnrolmentSettings,
    *,
    clock: Clock = utcnow,
    ids: IdFactory = new_id,
    invitations: Invitations | None = None,
) -> EnrolmentDependencies:
    """The dependencies over this runtime. Without `invitations`, an HTTP client of the
    invitation service at `settings.invitation_url`, closed when the runtime stops;
    one given is the caller's to close."""
    if invitations is None:
        invitations = _invitation_client(runtime, settings)
    return EnrolmentDependencies(
        settings=settings,
        uow=runtime.unit_of_work(EnrolmentTransaction),
        clock=clock,
        new_id=ids,
        invitations=invitations,
        metrics=runtime.metrics,
    )


def _invitation_client(runtime: ServiceRuntime, settings: EnrolmentSettings) -> Invitations:
    if settings.internal_api_token is None:
        return NoInvitationService()
    client = InvitationClient(
        settings.invitation_url,
        settings.internal_api_token,
        timeout_s=settings.invitation_timeout_s,
    )
    runtime.on_stop.append(client.close)
    return client
