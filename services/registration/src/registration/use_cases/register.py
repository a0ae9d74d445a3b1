"""Registering: an invitation link becomes an account, announced by its events; active at
once, or waiting for an administrator when the tenant approves accounts by hand."""

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

from registration.domain.accounts import status_once_registered
from registration.domain.links import USED_LINK, link_hash
from registration.domain.passwords import PasswordPolicy
from registration.domain.sign_up import LinkTerms, SignUp, SignUpForm, validate_sign_up
from registration.domain.usernames import normalise_username
from registration.errors import LinkRefused, UsernameTaken
from registration.invitations import Invitations
from registration.store import RegistrationTransaction
from registration.store.accounts import Completion, Reservation
from registration.use_cases.inspect_link import inspect_link

SOURCE = "/onboarding/registration"


@dataclass(frozen=True)
class Registered:
    account_id: str
    username: str
    email: str
    course: str
    course_title: str | None = None
    awaiting_activation: bool = False  # an administrator activates the account


def terms_of(link: LinkDetails) -> LinkTerms:
    return LinkTerms(email=link.email, username_source=link.link_policy.username_source)


async def register(
    form: SignUpForm,
    *,
    uow: UnitOfWork[RegistrationTransaction],
    invitations: Invitations,
    password_hasher: PasswordHasher,
    passwords: PasswordPolicy,
    clock: Clock,
    new_id: IdFactory,
) -> Registered:
    """Create the account behind an invitation link.

    The link is judged first (its invitation says whose address it went to and whether
    the username is that address), then the form, every rule at once (`InvalidInput`).
    The username is reserved next, so a taken name never burns the single-use link; then
    the link is redeemed at the invitation service (the only judge of single use); then
    the account is completed with its events in one transaction. The same form sent
    again, at the same moment or after a lost answer, gets the same account: it is
    announced once."""
    token = form.token.strip()
    token_hash = link_hash(token)
    try:
        link = await inspect_link(invitations, token)
    except LinkRefused as refused:
        if refused.reason is not LinkRefusal.USED:
            raise
        # Used: perhaps by this very registration, whose answer was lost or which is being
        # sent twice. Then its account is there, and redeeming again for it is safe.
        chosen = normalise_username(form.username) or None
        async with uow() as tx:
            account_id = await tx.accounts.made_with(token_hash, chosen)
        if account_id is None:
            raise
        link = await invitations.redeem(token, account_id)
        sign_up = validate_sign_up(form, terms_of(link), passwords)
        return await _complete(uow, password_hasher, clock, account_id, link, sign_up)
    sign_up = validate_sign_up(form, terms_of(link), passwords)
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
        raise UsernameTaken(sign_up.username, is_email=link.link_policy.username_source == "email")
    try:
        link = await invitations.redeem(token, held)
    except LinkRefused:
        async with uow() as tx:
            await tx.accounts.release(held)
        raise
    # Any other failure keeps the reservation: the redeem may have gone through with its
    # answer lost, and the same registration sent again picks up where this one stopped
    # (or, if nobody comes back, `release_stale_reservations` frees the username).
    return await _complete(uow, password_hasher, clock, held, link, sign_up)


async def _complete(
    uow: UnitOfWork[RegistrationTransaction],
    password_hasher: PasswordHasher,
    clock: Clock,
    account_id: str,
    link: LinkDetails,
    sign_up: SignUp,
) -> Registered:
    """The account's password, names and status, with its events, in one transaction; or,
    when another copy of this registration completed it first, that account."""
    # argon2id takes tens of milliseconds of CPU: in a thread, so other requests go on.
    password_hash = await asyncio.to_thread(password_hasher.hash, sign_up.password)
    status = status_once_registered(link.link_policy)
    registered = Registered(
        account_id,
        sign_up.username,
        link.email,
        link.course,
        link.course_title,
        awaiting_activation=status == "pending_activation",
    )
    async with uow() as tx:
        completion = Completion(
            first_name=sign_up.first_name,
            middle_name=sign_up.middle_name,
            last_name=sign_up.last_name,
            phone=sign_up.phone,
            password_hash=password_hash,
            status=status,
            completed_at=clock(),
        )
        if await tx.accounts.complete(account_id, completion):
            await tx.publish(_events(account_id, link, sign_up, registered.awaiting_activation))
            return registered
        stored = await tx.accounts.completed_password_hash(account_id)
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
    account_id: str, link: LinkDetails, sign_up: SignUp, awaiting_activation: bool
) -> list[RegistrationCompleted | AccountActivated]:
    origin = Origin(SOURCE, link.tenant_id, link.correlation_id)
    completed = RegistrationCompleted.new(
        origin,
        # The sign-up's fields win over the link's: the phone number is the one the
        # person gave (or none, when they cleared the one on file).
        RegistrationCompletedData.from_fields(
            link, sign_up, account_id=account_id, awaiting_activation=awaiting_activation
        ),
    )
    if awaiting_activation:  # AccountActivated comes once an administrator approved it
        return [completed]
    activated = AccountActivated.new(
        origin.then(completed),
        AccountActivatedData(
            account_id=account_id,
            enrolment_id=link.enrolment_id,
            invitation_id=link.invitation_id,
            email=link.email,
            username=sign_up.username,
            first_name=sign_up.first_name,
        ),
    )
    return [completed, activated]
