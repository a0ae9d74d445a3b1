"""In-memory stand-ins for the invitation service's transaction and unit of work, with the
semantics of the SQL: one invitation per enrolment, a redeem that is a compare-and-set, and
link replacements that check their rule and keep the replaced hash."""

import dataclasses
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from invitation.domain.links import hash_token
from invitation.domain.statuses import RESENDABLE, InvitationStatus
from invitation.store.invitations import Invitation, NewInvitation
from invitation.store.lifecycle import Expired, NewLink
from onboarding_contracts import Envelope

# Far from any test's clock: an invitation added without `expires_at` is unexpired.
FAR_FUTURE = datetime(2100, 1, 1, tzinfo=UTC)
SENT_AT = datetime(2025, 1, 1, tzinfo=UTC)  # long before any test's clock


def invitation(**changes: object) -> Invitation:
    """A pending invitation of Ann's, sent once, with these changes."""
    return dataclasses.replace(
        Invitation(
            id="inv-1",
            tenant_id="tenant-1",
            enrolment_id="enr-1",
            email="ann@example.org",
            name="Ann Lee",
            course="Biology 101",
            channel="email",
            phone=None,
            status=InvitationStatus.PENDING,
            send_count=1,
            resend_count=0,
            reminder_count=0,
            last_sent_at=SENT_AT,
            last_reminded_at=None,
            expires_at=FAR_FUTURE,
            ttl_hours=24,
            max_resends=3,
            self_service_resend=False,
            correlation_id="corr-1",
        ),
        **changes,
    )


@dataclass
class FakeInvitationRows:
    """What the use cases need of InvitationRows."""

    invitations: dict[str, Invitation] = field(default_factory=dict)
    token_hashes: dict[str, bytes] = field(default_factory=dict)
    replaced: dict[bytes, str] = field(default_factory=dict)  # replaced_links
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
            self.created_at[n.invitation.id] = at
            created.add(n.invitation.id)
        return created

    async def revoke(self, enrolment_id: str, now: datetime) -> Invitation | None:
        for found in self.invitations.values():
            if found.enrolment_id == enrolment_id and found.status in RESENDABLE:
                revoked = dataclasses.replace(found, status=InvitationStatus.REVOKED)
                self.invitations[found.id] = revoked
                return revoked
        return None

    async def by_token_hash(self, token_hash: bytes) -> Invitation | None:
        for invitation_id, stored in self.token_hashes.items():
            if stored == token_hash:
                return self.invitations[invitation_id]
        return None

    async def replaced_by_hash(self, token_hash: bytes) -> Invitation | None:
        invitation_id = self.replaced.get(token_hash)
        return None if invitation_id is None else self.invitations[invitation_id]

    async def of_enrolment(self, tenant_id: str, enrolment_id: str) -> Invitation | None:
        for found in self.invitations.values():
            if (found.tenant_id, found.enrolment_id) == (tenant_id, enrolment_id):
                return found
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
        added = invitation(**changes)
        self.invitations[added.id] = added
        self.token_hashes[added.id] = hash_token(token)
        return added


@dataclass
class FakeLifecycleRows:
    """What the use cases need of LifecycleRows, over the same invitations."""

    rows: FakeInvitationRows
    lost_races: int = 0  # the next this many replacements find their rule refused

    async def resend(self, link: NewLink) -> Invitation | None:
        return await self._replace(
            link, lambda i: i.resend_count < link.policy.max_resends, resend=True
        )

    async def resend_on_request(self, link: NewLink, *, sent_before: datetime) -> Invitation | None:
        def allowed(i: Invitation) -> bool:
            return (
                i.self_service_resend
                and i.resend_count < i.max_resends
                and i.last_sent_at <= sent_before
            )

        return await self._replace(link, allowed, resend=True)

    async def remind(self, link: NewLink, *, reminded_before: datetime) -> Invitation | None:
        def allowed(i: Invitation) -> bool:
            return i.last_reminded_at is None or i.last_reminded_at <= reminded_before

        return await self._replace(link, allowed, resend=False)

    async def _replace(self, link: NewLink, allowed, *, resend: bool) -> Invitation | None:
        found = await self.rows.of_enrolment(link.tenant_id, link.enrolment_id)
        if found is None or found.status not in RESENDABLE or not allowed(found):
            return None
        if self.lost_races:
            self.lost_races -= 1
            return None
        replaced = dataclasses.replace(
            found,
            status=InvitationStatus.PENDING,
            send_count=found.send_count + 1,
            resend_count=found.resend_count + resend,
            reminder_count=found.reminder_count + (not resend),
            last_sent_at=link.sent_at,
            last_reminded_at=found.last_reminded_at if resend else link.sent_at,
            expires_at=link.expires_at,
            ttl_hours=link.policy.ttl_hours,
            max_resends=link.policy.max_resends,
            self_service_resend=link.policy.self_service_resend,
            activation=link.policy.activation,
            username_source=link.policy.username_source,
        )
        self.rows.replaced[self.rows.token_hashes[found.id]] = found.id
        self.rows.token_hashes[found.id] = link.token_hash
        self.rows.invitations[found.id] = replaced
        return replaced

    async def expire_due(self, now: datetime, *, batch: int) -> list[Expired]:
        due = sorted(
            (
                i
                for i in self.rows.invitations.values()
                if i.status is InvitationStatus.PENDING and i.expires_at <= now
            ),
            key=lambda i: i.expires_at,
        )[:batch]
        for i in due:
            self.rows.invitations[i.id] = dataclasses.replace(i, status=InvitationStatus.EXPIRED)
        return [
            Expired(i.id, i.tenant_id, i.enrolment_id, i.correlation_id, i.send_count, i.expires_at)
            for i in due
        ]


@dataclass
class FakeTransaction:
    """What the use cases need of InvitationTransaction: its rows and the outbox."""

    invitations: FakeInvitationRows = field(default_factory=FakeInvitationRows)
    outbox: list[Envelope] = field(default_factory=list)
    lifecycle: FakeLifecycleRows = field(init=False)

    def __post_init__(self) -> None:
        self.lifecycle = FakeLifecycleRows(self.invitations)

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
