"""In-memory stand-ins for the invitation service's transaction and unit of work, with the
semantics of the SQL: one invitation per enrolment, and a redeem that is a compare-and-set."""

import dataclasses
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from invitation.domain.links import hash_token
from invitation.domain.statuses import InvitationStatus
from invitation.store.invitations import Invitation, NewInvitation
from onboarding_contracts import Envelope

# Far from any test's clock: an invitation added without `expires_at` is unexpired.
FAR_FUTURE = datetime(2100, 1, 1, tzinfo=UTC)


@dataclass
class FakeInvitationRows:
    """What the use cases need of InvitationRows."""

    invitations: dict[str, Invitation] = field(default_factory=dict)
    token_hashes: dict[str, bytes] = field(default_factory=dict)
    phones: dict[str, str | None] = field(default_factory=dict)
    created_at: dict[str, datetime] = field(default_factory=dict)
    accounts: dict[str, tuple[str, datetime]] = field(default_factory=dict)
    create_returns: bool | None = None  # False: every enrolment is already invited
    redeem_calls: list[tuple[bytes, datetime]] = field(default_factory=list)
    accepted_by: dict[str, str] = field(default_factory=dict)

    async def create_many(self, new: Sequence[NewInvitation], at: datetime) -> set[str]:
        created = set()
        for n in new:
            if self.create_returns is False or any(
                i.enrolment_id == n.invitation.enrolment_id for i in self.invitations.values()
            ):
                continue
            self.invitations[n.invitation.id] = n.invitation
            self.token_hashes[n.invitation.id] = n.token_hash
            self.phones[n.invitation.id] = n.phone
            self.created_at[n.invitation.id] = at
            created.add(n.invitation.id)
        return created

    async def revoke(self, enrolment_id: str, now: datetime) -> Invitation | None:
        for invitation in self.invitations.values():
            if (
                invitation.enrolment_id == enrolment_id
                and invitation.status is InvitationStatus.PENDING
            ):
                revoked = dataclasses.replace(invitation, status=InvitationStatus.REVOKED)
                self.invitations[invitation.id] = revoked
                return revoked
        return None

    async def by_token_hash(self, token_hash: bytes) -> Invitation | None:
        for invitation_id, stored in self.token_hashes.items():
            if stored == token_hash:
                return self.invitations[invitation_id]
        return None

    async def redeem(
        self, token_hash: bytes, now: datetime, account_id: str | None = None
    ) -> tuple[Invitation, bool] | None:
        self.redeem_calls.append((token_hash, now))
        found = await self.by_token_hash(token_hash)
        if found is None:
            return None
        if found.status is InvitationStatus.ACCEPTED and account_id is not None:
            same = self.accepted_by.get(found.id) == account_id
            return (found, False) if same else None
        if found.status is not InvitationStatus.PENDING or not found.expires_at > now:
            return None
        accepted = dataclasses.replace(found, status=InvitationStatus.ACCEPTED)
        self.invitations[found.id] = accepted
        if account_id is not None:
            self.accepted_by[found.id] = account_id
        return accepted, True

    async def record_account(self, invitation_id: str, account_id: str, now: datetime) -> None:
        self.accounts[invitation_id] = (account_id, now)

    def add(self, token: str, **changes: object) -> Invitation:
        """A pending invitation of Ann's, reached by `token`, with these changes."""
        invitation = dataclasses.replace(
            Invitation(
                id="inv-1",
                tenant_id="tenant-1",
                enrolment_id="enr-1",
                email="ann@example.org",
                name="Ann Lee",
                course="Biology 101",
                channel="email",
                status=InvitationStatus.PENDING,
                send_count=1,
                expires_at=FAR_FUTURE,
                correlation_id="corr-1",
            ),
            **changes,
        )
        self.invitations[invitation.id] = invitation
        self.token_hashes[invitation.id] = hash_token(token)
        return invitation


@dataclass
class FakeTransaction:
    """What the use cases need of InvitationTransaction: its rows and the outbox."""

    invitations: FakeInvitationRows = field(default_factory=FakeInvitationRows)
    outbox: list[Envelope] = field(default_factory=list)

    async def publish(self, events: Sequence[Envelope]) -> None:
        self.outbox.extend(events)


@dataclass
class FakeUnitOfWork:
    """Transactions over one FakeTransaction; a block that raises takes back its events."""

    tx: FakeTransaction
    commits: int = 0

    @asynccontextmanager
    async def __call__(self) -> AsyncIterator[FakeTransaction]:
        published = len(self.tx.outbox)
        try:
            yield self.tx
        except BaseException:
            del self.tx.outbox[published:]
            raise
        self.commits += 1


@pytest.fixture
def tx() -> FakeTransaction:
    return FakeTransaction()


@pytest.fixture
def uow(tx: FakeTransaction) -> FakeUnitOfWork:
    return FakeUnitOfWork(tx)
