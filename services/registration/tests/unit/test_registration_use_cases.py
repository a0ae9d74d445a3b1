"""Registering over an in-memory store and invitation service (the `fakes` fixture): the link
is never lost, and the events say what happened."""

import hashlib
import threading

import pytest
from argon2 import PasswordHasher
from onboarding_contracts import AccountActivated, RegistrationCompleted
from onboarding_contracts.internal.invitations import LinkRefusal
from registration.domain.links import INCOMPLETE_LINK
from registration.domain.sign_up import SignUpForm
from registration.errors import InvitationServiceUnavailable, LinkRefused, UsernameTaken
from registration.use_cases.inspect_link import inspect_link
from registration.use_cases.register import SOURCE


def form(token: str, first: str, last: str, username: str, password: str) -> SignUpForm:
    return SignUpForm(token, first, last, password, username=username)


SIGN_UP = form("tok", "Ada", "Lovelace", "ada", "correct horse battery")


async def test_registering_activates_the_account_and_announces_it(fakes) -> None:
    registered = await fakes.register(SIGN_UP)

    link = fakes.invitations.link
    assert (registered.username, registered.email, registered.course) == (
        "ada",
        link.email,
        link.course,
    )
    accounts = fakes.tx.accounts
    assert accounts.status(registered.account_id) == "active"
    assert accounts.reserved[registered.account_id].reserved_at == fakes.now
    activation = accounts.completed[registered.account_id]
    assert activation.completed_at == fakes.now
    assert (activation.first_name, activation.last_name) == ("Ada", "Lovelace")
    assert PasswordHasher().verify(activation.password_hash, SIGN_UP.password)

    completed, activated = fakes.tx.outbox
    assert isinstance(completed, RegistrationCompleted)
    assert isinstance(activated, AccountActivated)
    for event in (completed, activated):
        assert event.source == SOURCE
        assert event.subject == registered.account_id
        assert (event.tenant_id, event.correlation_id) == (link.tenant_id, link.correlation_id)
    assert completed.causation_id is None
    assert activated.causation_id == completed.id
    assert completed.data.invitation_id == link.invitation_id
    assert activated.data.enrolment_id == link.enrolment_id
    assert activated.data.invitation_id == link.invitation_id


async def test_the_password_is_hashed_off_the_event_loop(fakes) -> None:
    await fakes.register(SIGN_UP)
    [thread] = fakes.password_hasher.threads
    assert thread != threading.get_ident()


async def test_a_registration_whose_redeem_answer_was_lost_completes_when_sent_again(
    fakes,
) -> None:
    fakes.invitations.lose_first_answer = True
    with pytest.raises(InvitationServiceUnavailable):
        await fakes.register(SIGN_UP)
    [held] = fakes.tx.accounts.reserved.values()
    assert fakes.tx.accounts.status(held.account_id) == "reserved", (
        "kept: the redeem may have gone through"
    )
    assert held.link_hash == hashlib.sha256(b"tok").digest()

    registered = await fakes.register(SIGN_UP)
    assert fakes.invitations.calls == [registered.account_id] * 2, (
        "redeemed again for the same account"
    )
    assert fakes.tx.accounts.status(registered.account_id) == "active"
    assert [e.type for e in fakes.tx.outbox] == [
        "onboarding.registration.completed",
        "onboarding.registration.account_activated",
    ]


async def test_someone_else_with_a_used_link_is_still_refused(fakes) -> None:
    await fakes.register(SIGN_UP)
    other = form("tok", "Eve", "Mallory", "eve", "correct horse battery")
    with pytest.raises(LinkRefused) as refused:
        await fakes.register(other)
    assert refused.value.reason is LinkRefusal.USED
    assert [a.username for a in fakes.tx.accounts.reserved.values()] == ["ada"]


async def test_a_refused_link_releases_the_username(fakes) -> None:
    fakes.invitations.redeemed_for = "someone"
    link = fakes.invitations.link

    async def inspect(token: str):  # the link looks usable, then loses the race to redeem
        return link

    fakes.invitations.inspect = inspect
    with pytest.raises(LinkRefused):
        await fakes.register(SIGN_UP)
    assert fakes.tx.accounts.reserved == {}


async def test_a_taken_username_is_refused_before_the_link_is_redeemed(fakes) -> None:
    first = await fakes.register(SIGN_UP)
    fakes.invitations.redeemed_for = None  # a second person, with their own link
    fakes.invitations.link = fakes.invitations.link.model_copy(update={"invitation_id": "inv-2"})
    calls = list(fakes.invitations.calls)

    with pytest.raises(UsernameTaken) as taken:
        await fakes.register(form("tok-2", "Ann", "Other", "ada", "correct horse battery"))

    assert taken.value.status == 409
    assert [(e.field, e.reason) for e in taken.value.errors] == [
        ("username", "'ada' is taken: choose another")
    ]
    assert fakes.invitations.calls == calls, "the link was not redeemed"
    assert list(fakes.tx.accounts.reserved) == [first.account_id]


async def test_the_join_page_refuses_an_empty_link_without_asking(fakes) -> None:
    fakes.invitations.down = True  # it is not asked
    for token in ("", "  "):
        with pytest.raises(LinkRefused) as refused:
            await inspect_link(fakes.invitations, token)
        assert (refused.value.reason, refused.value.message) == (
            LinkRefusal.UNKNOWN,
            INCOMPLETE_LINK,
        )
    fakes.invitations.down = False
    assert await inspect_link(fakes.invitations, "tok") == fakes.invitations.link


async def test_the_same_form_sent_again_once_active_gets_the_same_account(fakes) -> None:
    first = await fakes.register(SIGN_UP)

    again = await fakes.register(SIGN_UP)  # its answer was lost; the link is used now

    assert again == first
    assert len(fakes.tx.outbox) == 2, "announced once"
    with pytest.raises(LinkRefused) as refused:  # the same link and name, another password
        await fakes.register(form("tok", "Ada", "Lovelace", "ada", "not the same password"))
    assert refused.value.reason is LinkRefusal.USED
