"""In-memory fakes of the registration service's store and of the invitation service, for
tests without I/O: the `fakes` and `link` fixtures."""

import threading
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from itertools import count
from typing import Any

import pytest
from argon2 import PasswordHasher
from onboarding_contracts import Envelope
from onboarding_contracts.internal.invitations import (
    LinkDetails,
    LinkRefusal,
    NewLinkOut,
    ResendRefusal,
)
from registration.bootstrap import RegistrationDependencies
from registration.common_passwords import password_policy
from registration.csrf import CsrfTokens, FormName
from registration.domain.sign_up import SignUpForm
from registration.errors import InvitationServiceUnavailable, LinkRefused, NewLinkRefused
from registration.limits import PublicLimits
from registration.settings import RegistrationSettings
from registration.store.accounts import ApprovedAccount, Completion, Reservation
from registration.use_cases.register import Registered, register

from ..links import LINK

NOW = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
PASSWORDS = password_policy()


@dataclass
class FakeAccounts:
    """`AccountRows` in memory: a reservation per account id, a completion once complete."""

    reserved: dict[str, Reservation] = field(default_factory=dict)
    completed: dict[str, Completion] = field(default_factory=dict)

    async def reserve(self, reservation: Reservation) -> str | None:
        for held in self.reserved.values():
            if (held.tenant_id, held.username) == (reservation.tenant_id, reservation.username):
                same = held.invitation_id == reservation.invitation_id
                return held.account_id if same else None
        self.reserved[reservation.account_id] = reservation
        return reservation.account_id

    async def is_taken(self, tenant_id: str, username: str, *, invitation_id: str) -> bool:
        return any(
            (held.tenant_id, held.username) == (tenant_id, username)
            and held.invitation_id != invitation_id
            for held in self.reserved.values()
        )

    async def made_with(self, link_hash: bytes, username: str | None) -> str | None:
        for held in self.reserved.values():
            if held.link_hash == link_hash and username in (None, held.username):
                return held.account_id
        return None

    async def completed_password_hash(self, account_id: str) -> str | None:
        completion = self.completed.get(account_id)
        return None if completion is None else completion.password_hash

    async def release(self, account_id: str) -> None:
        if account_id not in self.completed:
            self.reserved.pop(account_id, None)

    async def complete(self, account_id: str, completion: Completion) -> bool:
        if account_id in self.completed or account_id not in self.reserved:
            return False
        self.completed[account_id] = completion
        return True

    async def approve(
        self, account_id: str, *, tenant_id: str, at: datetime
    ) -> ApprovedAccount | None:
        completion = self.completed.get(account_id)
        held = self.reserved.get(account_id)
        if completion is None or held is None or held.tenant_id != tenant_id:
            return None
        if completion.status != "pending_activation":
            return None
        self.completed[account_id] = replace(completion, status="active", completed_at=at)
        return ApprovedAccount(
            account_id,
            held.enrolment_id,
            held.email,
            held.username,
            completion.first_name,
            held.invitation_id,
        )

    def status(self, account_id: str) -> str:
        completion = self.completed.get(account_id)
        return "reserved" if completion is None else completion.status


@dataclass
class FakeTransaction:
    accounts: FakeAccounts = field(default_factory=FakeAccounts)
    outbox: list[Envelope] = field(default_factory=list)

    async def publish(self, events: Sequence[Envelope]) -> None:
        self.outbox.extend(events)


@dataclass
class FakeInvitations:
    """Redeems once; the first answer can be lost after the redeem went through; `refusal`
    refuses every call (offering a new link when `new_link_allowed`), `down` answers none;
    `new_link_refusal` refuses a request for a new link."""

    link: LinkDetails = field(default_factory=lambda: LINK)
    lose_first_answer: bool = False
    redeemed_for: str | None = None
    refusal: LinkRefusal | None = None
    new_link_allowed: bool = False
    new_link_refusal: ResendRefusal | None = None
    down: bool = False
    calls: list[str] = field(default_factory=list)
    new_links: list[str] = field(default_factory=list)  # the tokens a new link was sent for

    async def inspect(self, token: str) -> LinkDetails:
        self._judge()
        if self.redeemed_for is not None:
            raise LinkRefused(LinkRefusal.USED, "already used")
        return self.link

    async def redeem(self, token: str, account_id: str) -> LinkDetails:
        self.calls.append(account_id)
        self._judge()
        if self.redeemed_for not in (None, account_id):
            raise LinkRefused(LinkRefusal.USED, "already used")
        self.redeemed_for = account_id
        if self.lose_first_answer and len(self.calls) == 1:
            raise InvitationServiceUnavailable("timed out")
        return self.link

    async def request_new_link(self, token: str) -> NewLinkOut:
        if self.down:
            raise InvitationServiceUnavailable("connection refused")
        if self.refusal not in (None, LinkRefusal.EXPIRED, LinkRefusal.REPLACED):
            self._judge()
        if self.new_link_refusal is not None:
            raise NewLinkRefused(self.new_link_refusal, f"no: {self.new_link_refusal.value}")
        self.new_links.append(token)
        return NewLinkOut(message="A new link is on its way to the email address on file.")

    def _judge(self) -> None:
        if self.down:
            raise InvitationServiceUnavailable("connection refused")
        if self.refusal is not None:
            raise LinkRefused(
                self.refusal,
                f"refused: {self.refusal.value}",
                new_link_allowed=self.new_link_allowed,
            )


class RecordingHasher(PasswordHasher):
    """argon2id as in production, noting the threads it hashed on."""

    def __init__(self) -> None:
        super().__init__()
        self.threads: list[int] = []

    def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
        self.threads.append(threading.get_ident())
        return super().hash(password, salt=salt)


@dataclass
class Fakes:
    """The dependencies of the use cases, faked; the clock stands still at `now`."""

    now: datetime = NOW
    tx: FakeTransaction = field(default_factory=FakeTransaction)
    invitations: FakeInvitations = field(default_factory=FakeInvitations)
    password_hasher: RecordingHasher = field(default_factory=RecordingHasher)
    ids: Iterator[int] = field(default_factory=lambda: count(1))

    @asynccontextmanager
    async def uow(self) -> AsyncIterator[FakeTransaction]:
        yield self.tx

    def new_id(self) -> str:
        return f"acc-{next(self.ids)}"

    async def register(self, form: SignUpForm) -> Registered:
        return await register(
            form,
            uow=self.uow,  # type: ignore[arg-type]
            invitations=self.invitations,
            password_hasher=self.password_hasher,
            passwords=PASSWORDS,
            clock=lambda: self.now,
            new_id=self.new_id,
        )

    def dependencies(self, **settings: Any) -> RegistrationDependencies:
        """The dependencies of the service's app, with these settings changed."""
        given = RegistrationSettings(
            database_url="postgresql://unused/unused", internal_api_token="t" * 16, **settings
        )
        return RegistrationDependencies(
            settings=given,
            uow=self.uow,  # type: ignore[arg-type]
            clock=lambda: self.now,
            new_id=self.new_id,
            password_hasher=self.password_hasher,
            passwords=PASSWORDS,
            invitations=self.invitations,
            limits=PublicLimits.from_settings(given),
            csrf=CsrfTokens.from_settings(given),
        )


def with_csrf(form: FormName, fields: dict[str, str], settings: Any = None) -> dict[str, str]:
    """A join page's form as its page sends it: with the CSRF token for its link."""
    given = settings or Fakes().dependencies().settings
    token = CsrfTokens.from_settings(given).issue(form, fields.get("token", ""))
    return {**fields, "csrf_token": token}


@pytest.fixture
def fakes() -> Fakes:
    return Fakes()


@pytest.fixture
def link() -> LinkDetails:
    """The details of a usable link, as the invitation service gives them."""
    return LINK
