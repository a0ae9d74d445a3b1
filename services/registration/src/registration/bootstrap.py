"""The registration service's dependencies, built once; routes and use cases get them."""

from dataclasses import dataclass

from argon2 import PasswordHasher
from onboarding_kit.clock import Clock, utcnow
from onboarding_kit.ids import IdFactory, new_id
from onboarding_kit.runtime import ServiceRuntime
from onboarding_kit.uow import UnitOfWork

from registration.common_passwords import password_policy
from registration.csrf import CsrfTokens
from registration.domain.passwords import PasswordPolicy
from registration.invitations import InvitationClient, Invitations
from registration.limits import PublicLimits
from registration.settings import RegistrationSettings
from registration.store import RegistrationTransaction


@dataclass(frozen=True)
class RegistrationDependencies:
    settings: RegistrationSettings
    uow: UnitOfWork[RegistrationTransaction]
    clock: Clock
    new_id: IdFactory
    password_hasher: PasswordHasher
    passwords: PasswordPolicy  # with the shipped list of common passwords
    invitations: Invitations
    limits: PublicLimits  # of the public routes, counted in this process
    csrf: CsrfTokens  # of the join pages' forms


def bootstrap(
    runtime: ServiceRuntime,
    settings: RegistrationSettings,
    *,
    invitations: Invitations | None = None,
) -> RegistrationDependencies:
    """The dependencies over this runtime. Without `invitations`, an HTTP client of the
    invitation service at `settings.invitation_url`, closed when the runtime stops; one
    given is the caller's to close."""
    if invitations is None:
        client = InvitationClient(settings.invitation_url, settings.internal_api_token)
        runtime.on_stop.append(client.close)
        invitations = client
    return RegistrationDependencies(
        settings=settings,
        uow=runtime.unit_of_work(RegistrationTransaction),
        clock=utcnow,
        new_id=new_id,
        # argon2id with the library's defaults (RFC 9106 low-memory profile).
        password_hasher=PasswordHasher(),
        passwords=password_policy(),
        invitations=invitations,
        limits=PublicLimits.from_settings(settings),
        csrf=CsrfTokens.from_settings(settings),
    )
