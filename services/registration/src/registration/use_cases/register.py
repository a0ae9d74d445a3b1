"""Registering: an invitation link becomes an active account, announced by its events."""

import asyncio
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import VerificationError
from onboarding_contracts import AccountActivated, Origin, RegistrationCompleted
from onboarding_contracts.events import AccountActivatedData, RegistrationCompletedData
from onboarding_contracts.internal.invitations import LinkDetails, LinkRefusal
from onboarding_kit.clock import Clock
from onboarding_kit.ids import IdFactory
from onboarding_kit.uow import UnitOfWork

from registration.domain.links import USED_LINK, link_hash
from registration.domain.sign_up import SignUp
from registration.errors import LinkRefused, UsernameTaken
from registration.invitations import Invitations
from registration.store import RegistrationTransaction
from registration.store.accounts import Activation, Reservation

SOURCE = "/onboarding/registration"


@dataclass(frozen=True)
class Registered:
    account_id: str
    username: str
    email: str
    course: str


async def register(
    sign_up: SignUp,
    *,
    uow: UnitOfWork[RegistrationTransaction],
    invitations: Invitations,
    password_hasher: PasswordHasher,
    clock: Clock,
    new_id: IdFactory,
) -> Registered:
    """Create the account behind an invitation link.

    The username is reserved first, so a taken name never burns the single-use link; then
    the link is redeemed at the invitation service (the only judge of single use); then
    the account is activated with its events in one transaction. The same form sent again,
    at the same moment or after a lost answer, gets the same account: it is announced once."""
    token_hash = link_hash(sign_up.token)
    try:
        link = await invitations.inspect(sign_up.token)
    except LinkRefused as refused:
        if refused.reason is not LinkRefusal.USED:
            raise
        # Used: perhaps by this very registration, whose answer was lost or which is being
        # sent twice. Then its account is there, and redeeming again for it is safe.
        async with uow() as tx:
            account_id = await tx.accounts.made_with(token_hash, sign_up.username)
        if account_id is None:
            raise
        link = await invitations.redeem(sign_up.token, account_id)
        return await _activate(uow, password_hasher, clock, account_id, link, sign_up)
    async with uow() as tx:
        held = await tx.accounts.reserve(
            Reservation(
                account_id=new_id(),
                tenant_id=link.tenant_id,
                username=sign_up.username,
                email=link.email,
                invitation_id=link.invitation_id,
                enrolment_id=link.enrolment_id,
                link_hash=token_hash,
                reserved_at=clock(),
            )
        )
    if held is None:
        raise UsernameTaken(sign_up.username)
    try:
        link = await invitations.redeem(sign_up.token, held)
    except LinkRefused:
        async with uow() as tx:
            await tx.accounts.release(held)
        raise
    # Any other failure keeps the reservation: the redeem may have gone through with its
    # answer lost, and the same registration sent again picks up where this one stopped
    # (or, if nobody comes back, `release_stale_reservations` frees the username).
    return await _activate(uow, password_hasher, clock, held, link, sign_up)


async def _activate(
    uow: UnitOfWork[RegistrationTransaction],
    password_hasher: PasswordHasher,
    clock: Clock,
    account_id: str,
    link: LinkDetails,
    sign_up: SignUp,
) -> Registered:
    """The account's password, names and status, with its events, in one transaction; or,
    when another copy of this registration activated it first, that account."""
    # argon2id takes tens of milliseconds of CPU: in a thread, so other requests go on.
    password_hash = await asyncio.to_thread(password_hasher.hash, sign_up.password)
    registered = Registered(account_id, sign_up.username, link.email, link.course)
    async with uow() as tx:
        activation = Activation(
            first_name=sign_up.first_name,
            last_name=sign_up.last_name,
            password_hash=password_hash,
            activated_at=clock(),
        )
        if await tx.accounts.activate(account_id, activation):
            await tx.publish(_events(account_id, link, sign_up))
            return registered
        stored = await tx.accounts.active_password_hash(account_id)
    # A copy of the form has the same password. Anyone else holding the link and guessing
    # the username is told what anyone is told of a used link, and learns nothing more.
    if stored is None or not await _verifies(password_hasher, stored, sign_up.password):
        raise LinkRefused(LinkRefusal.USED, USED_LINK)
    return registered


async def _verifies(password_hasher: PasswordHasher, stored: str, password: str) -> bool:
    try:
        return await asyncio.to_thread(password_hasher.verify, stored, password)
    except VerificationError:
        return False


def _events(
    account_id: str, link: LinkDetails, sign_up: SignUp
) -> list[RegistrationCompleted | AccountActivated]:
    origin = Origin(SOURCE, link.tenant_id, link.correlation_id)
    completed = RegistrationCompleted.new(
        origin,
        RegistrationCompletedData.from_fields(link, sign_up, account_id=account_id),
    )
    # No tenant requires admin approval yet, so the account is active at once.
    activated = AccountActivated.new(
        origin.then(completed),
        AccountActivatedData(
            account_id=account_id, enrolment_id=link.enrolment_id, email=link.email
        ),
    )
    return [completed, activated]
