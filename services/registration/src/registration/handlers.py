"""Use cases of the registration service."""

import asyncio
import hashlib
import uuid
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass

from argon2 import PasswordHasher
from onboarding_contracts import AccountActivated, RegistrationCompleted
from onboarding_contracts.events import AccountActivatedData, RegistrationCompletedData

from registration.domain import InvalidRegistration, SignUp
from registration.invitations import InvitationClient, LinkDetails, LinkRefused
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
    link_hash = hashlib.sha256(sign_up.token.encode()).digest()
    try:
        link = await invitations.inspect(sign_up.token)
    except LinkRefused as refused:
        if refused.reason != "used":
            raise
        # Used: perhaps by this very registration, whose redeem went through but whose
        # answer was lost. Then its reservation is there, and redeeming again for it is safe.
        async with uow() as store:
            account_id = await store.reservation(link_hash, sign_up.username)
        if account_id is None:
            raise
        link = await invitations.redeem(sign_up.token, account_id)
        return await _activate(uow, account_id, link, sign_up)
    async with uow() as store:
        account_id = await store.reserve_username(
            account_id=str(uuid.uuid4()),
            tenant_id=link.tenant_id,
            username=sign_up.username,
            email=link.email,
            invitation_id=link.invitation_id,
            enrolment_id=link.enrolment_id,
            link_hash=link_hash,
        )
    if account_id is None:
        raise InvalidRegistration({"username": f"{sign_up.username!r} is taken: choose another"})
    try:
        link = await invitations.redeem(sign_up.token, account_id)
    except LinkRefused:
        async with uow() as store:
            await store.release(account_id)
        raise
    # Any other failure keeps the reservation: the redeem may have gone through with its
    # answer lost, and the same registration sent again picks up where this one stopped.
    return await _activate(uow, account_id, link, sign_up)


async def _activate(
    uow: UnitOfWork, account_id: str, link: LinkDetails, sign_up: SignUp
) -> Registered:
    """The account's password, names and status, with its events, in one transaction."""
    password_hash = await asyncio.to_thread(password_hasher.hash, sign_up.password)
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
