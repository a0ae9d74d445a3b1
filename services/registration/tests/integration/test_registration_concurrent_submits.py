"""The same form sent many times at once (a double click, a client's retries) makes one
account, announced once, and every copy is answered with it."""

import asyncio
from functools import partial

import asyncpg
import pytest
from argon2 import PasswordHasher
from onboarding_kit.clock import utcnow
from onboarding_kit.ids import new_id
from onboarding_kit.uow import UnitOfWork
from registration.common_passwords import password_policy
from registration.domain.sign_up import SignUpForm
from registration.errors import LinkRefused
from registration.store import RegistrationTransaction
from registration.use_cases.register import register

from .fakes import SingleUseInvitations

pytestmark = pytest.mark.integration

FORM = SignUpForm("tok", "Ada", "Lovelace", "correct horse battery staple", username="ada")


async def outbox_types(pool: asyncpg.Pool) -> list[str]:
    return [r["event_type"] for r in await pool.fetch("SELECT event_type FROM outbox ORDER BY id")]


@pytest.fixture
def register_with(uow: UnitOfWork[RegistrationTransaction]):
    invitations = SingleUseInvitations()
    return invitations, partial(
        register,
        uow=uow,
        invitations=invitations,
        password_hasher=PasswordHasher(),
        passwords=password_policy(),
        clock=utcnow,
        new_id=new_id,
    )


async def test_ten_copies_at_once_make_one_account_announced_once(
    pool: asyncpg.Pool, register_with
) -> None:
    invitations, send = register_with

    answers = await asyncio.gather(*(send(FORM) for _ in range(10)))

    assert len({a.account_id for a in answers}) == 1, "every copy answered with the account"
    [account] = await pool.fetch("SELECT id, status, username FROM accounts")
    assert (account["id"], account["status"], account["username"]) == (
        answers[0].account_id,
        "active",
        "ada",
    )
    assert set(invitations.redeems) == {account["id"]}
    assert await outbox_types(pool) == [
        "onboarding.registration.completed",
        "onboarding.registration.account_activated",
    ]


async def test_a_copy_sent_after_the_account_is_active_gets_it_again(
    pool: asyncpg.Pool, register_with
) -> None:
    _, send = register_with
    first = await send(FORM)

    again = await send(FORM)  # the first answer was lost: the link now inspects as used

    assert again == first
    assert len(await outbox_types(pool)) == 2, "announced once"


async def test_the_same_link_and_username_with_another_password_is_refused(
    pool: asyncpg.Pool, register_with
) -> None:
    """Not a copy of the form but someone else holding the link: they learn nothing of the
    account, and its password stays the first one."""
    _, send = register_with
    await send(FORM)
    stored = await pool.fetchval("SELECT password_hash FROM accounts")

    with pytest.raises(LinkRefused) as refused:
        await send(SignUpForm("tok", "Ada", "Lovelace", "another password entirely", "ada"))

    assert refused.value.status == 410
    assert await pool.fetchval("SELECT password_hash FROM accounts") == stored
    assert len(await outbox_types(pool)) == 2
