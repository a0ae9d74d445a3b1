"""Registering over an in-memory store and invitation client: the link is never lost."""

import hashlib
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from onboarding_contracts import Envelope
from registration.domain import SignUp
from registration.handlers import register
from registration.invitations import (
    InvitationServiceUnavailable,
    LinkDetails,
    LinkRefused,
)

DETAILS = LinkDetails("inv-1", "t-1", "enr-1", "ada@example.org", "Ada", "ielts", "corr-1")
SIGN_UP = SignUp("tok", "Ada", "Lovelace", "ada", "correct horse battery")


@dataclass
class FakeStore:
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    outbox: list[Envelope] = field(default_factory=list)

    async def reserve_username(self, *, account_id: str, **row: Any) -> str | None:
        for held_id, held in self.accounts.items():
            if held["tenant_id"] == row["tenant_id"] and held["username"] == row["username"]:
                same = (
                    held["status"] == "reserved" and held["invitation_id"] == row["invitation_id"]
                )
                return held_id if same else None
        self.accounts[account_id] = {**row, "status": "reserved"}
        return account_id

    async def reservation(self, link_hash: bytes, username: str) -> str | None:
        for held_id, held in self.accounts.items():
            if held["link_hash"] == link_hash and held["username"] == username:
                return held_id if held["status"] == "reserved" else None
        return None

    async def release(self, account_id: str) -> None:
        self.accounts.pop(account_id, None)

    async def activate(self, account_id: str, **fields: str) -> None:
        self.accounts[account_id].update(fields, status="active")

    async def publish(self, events: Sequence[Envelope]) -> None:
        self.outbox.extend(events)


@dataclass
class FakeInvitations:
    """Redeems once; the first answer can be lost after the redeem went through."""

    lose_first_answer: bool = False
    redeemed_for: str | None = None
    calls: list[str] = field(default_factory=list)

    async def inspect(self, token: str) -> LinkDetails:
        if self.redeemed_for is not None:
            raise LinkRefused("used", "already used")
        return DETAILS

    async def redeem(self, token: str, account_id: str) -> LinkDetails:
        self.calls.append(account_id)
        if self.redeemed_for not in (None, account_id):
            raise LinkRefused("used", "already used")
        self.redeemed_for = account_id
        if self.lose_first_answer and len(self.calls) == 1:
            raise InvitationServiceUnavailable("timed out")
        return DETAILS


def uow(store: FakeStore) -> Any:
    @asynccontextmanager
    async def transaction() -> AsyncIterator[FakeStore]:
        yield store

    return transaction


async def test_a_registration_whose_redeem_answer_was_lost_completes_when_sent_again() -> None:
    store, invitations = FakeStore(), FakeInvitations(lose_first_answer=True)
    with pytest.raises(InvitationServiceUnavailable):
        await register(uow(store), invitations, SIGN_UP)  # type: ignore[arg-type]
    [held] = store.accounts.values()
    assert held["status"] == "reserved", "kept: the redeem may have gone through"
    assert held["link_hash"] == hashlib.sha256(b"tok").digest()

    registered = await register(uow(store), invitations, SIGN_UP)  # type: ignore[arg-type]
    assert invitations.calls == [registered.account_id] * 2, "redeemed again for the same account"
    assert store.accounts[registered.account_id]["status"] == "active"
    assert [e.type for e in store.outbox] == [
        "onboarding.registration.completed",
        "onboarding.registration.account_activated",
    ]


async def test_someone_else_with_a_used_link_is_still_refused() -> None:
    store, invitations = FakeStore(), FakeInvitations()
    await register(uow(store), invitations, SIGN_UP)  # type: ignore[arg-type]
    other = SignUp("tok", "Eve", "Mallory", "eve", "correct horse battery")
    with pytest.raises(LinkRefused):
        await register(uow(store), invitations, other)  # type: ignore[arg-type]
    assert [a["username"] for a in store.accounts.values()] == ["ada"]


async def test_a_refused_link_releases_the_username() -> None:
    store, invitations = FakeStore(), FakeInvitations(redeemed_for="someone")
    invitations.inspect = lambda token: _details()  # type: ignore[method-assign]
    with pytest.raises(LinkRefused):
        await register(uow(store), invitations, SIGN_UP)  # type: ignore[arg-type]
    assert store.accounts == {}


async def _details() -> LinkDetails:
    return DETAILS
