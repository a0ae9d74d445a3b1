"""Use cases of the registration service."""

import asyncio
import uuid
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass

from argon2 import PasswordHasher
from onboarding_contracts import AccountActivated, RegistrationCompleted
from onboarding_contracts.events import AccountActivatedData, RegistrationCompletedData

from registration.domain import InvalidRegistration, SignUp
from registration.invitations import InvitationClient, LinkDetails
from registration.store import RegistrationStore

SOURCE = "/onboarding/registration"

UnitOfWork = Callable[[], AbstractAsyncContextManager[RegistrationStore]]

# argon2id with the library's defaults (RFC 9106 low-memory profile).
password_hasher = PasswordHasher()


@dataclass(frozen=True)
class Registered:
    account_id: str
    username: str
    email: str
    course: str


async def register(uow: UnitOfWork, invitations: InvitationClient, sign_up: SignUp) -> Registered:
    """Create the account behind an invitation link.

    The username is reserved first, so a taken name never burns the single-use link; then
    the link is redeemed at the invitation service (the only judge of single use); then
    the account is activated with its events in one transaction."""
    link = await invitations.inspect(sign_up.token)
    password_hash = await asyncio.to_thread(password_hasher.hash, sign_up.password)
    account_id = str(uuid.uuid4())
    async with uow() as store:
        reserved = await store.reserve_username(
            account_id=account_id,
            tenant_id=link.tenant_id,
            username=sign_up.username,
            email=link.email,
            invitation_id=link.invitation_id,
            enrolment_id=link.enrolment_id,
        )
    if not reserved:
        raise InvalidRegistration({"username": f"{sign_up.username!r} is taken: choose another"})
    try:
        link = await invitations.redeem(sign_up.token)
    except BaseException:
        async with uow() as store:
            await store.release(account_id)
        raise
    async with uow() as store:
        await store.activate(
            account_id,
            first_name=sign_up.first_name,
            last_name=sign_up.last_name,
            password_hash=password_hash,
        )
        await store.publish(_events(account_id, link, sign_up))
    return Registered(account_id, sign_up.username, link.email, link.course)


def _events(
    account_id: str, link: LinkDetails, sign_up: SignUp
) -> list[RegistrationCompleted | AccountActivated]:
    common = {
        "source": SOURCE,
        "subject": account_id,
        "tenant_id": link.tenant_id,
        "correlation_id": link.correlation_id,
    }
    completed = RegistrationCompleted(
        **common,
        data=RegistrationCompletedData(
            account_id=account_id,
            invitation_id=link.invitation_id,
            enrolment_id=link.enrolment_id,
            email=link.email,
            username=sign_up.username,
            first_name=sign_up.first_name,
            last_name=sign_up.last_name,
        ),
    )
    # No tenant requires admin approval yet, so the account is active at once.
    activated = AccountActivated(
        **common,
        causation_id=completed.id,
        data=AccountActivatedData(
            account_id=account_id, enrolment_id=link.enrolment_id, email=link.email
        ),
    )
    return [completed, activated]
