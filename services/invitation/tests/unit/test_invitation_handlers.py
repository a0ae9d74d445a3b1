"""Invitation use cases over an in-memory store: issuing, inspecting and redeeming links."""

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from invitation.domain import InvitationStatus, LinkRefusal, accept_link, hash_token
from invitation.handlers import (
    SOURCE,
    IssuePolicy,
    LinkRefused,
    inspect_invitation,
    new_token,
    on_enrolment_cancelled,
    on_enrolment_created,
    on_invitation_requested,
    redeem_invitation,
)
from invitation.store import Invitation
from onboarding_contracts import (
    EnrolmentCancelled,
    EnrolmentCreated,
    Envelope,
    InvitationAccepted,
    InvitationIssued,
    InvitationRequested,
)
from onboarding_contracts.events import (
    EnrolmentCancelledData,
    EnrolmentCreatedData,
    InvitationRequestedData,
)
from onboarding_kit.sealing import Sealer, SealError, new_key

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
TTL = timedelta(hours=24)
REGISTRATION_URL = "https://join.example.org/"
TOKEN = "raw-token-+/=&?"  # characters that must be encoded in a URL


@dataclass
class FakeStore:
    """What the handlers need of InvitationStore, in memory, with the same semantics as the
    SQL: one invitation per enrolment, and a redeem that is a compare-and-set."""

    invitations: dict[str, Invitation] = field(default_factory=dict)
    token_hashes: dict[str, bytes] = field(default_factory=dict)
    phones: dict[str, str | None] = field(default_factory=dict)
    outbox: list[Envelope] = field(default_factory=list)
    create_returns: bool | None = None  # force the answer of `create`
    redeem_calls: list[tuple[bytes, datetime]] = field(default_factory=list)
    accepted_by: dict[str, str] = field(default_factory=dict)

    async def create_many(
        self, invitations: Sequence[tuple[Invitation, str | None, bytes]]
    ) -> set[str]:
        created = set()
        for invitation, phone, token_hash in invitations:
            if self.create_returns is False or any(
                i.enrolment_id == invitation.enrolment_id for i in self.invitations.values()
            ):
                continue
            self.invitations[invitation.id] = invitation
            self.token_hashes[invitation.id] = token_hash
            self.phones[invitation.id] = phone
            created.add(invitation.id)
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

    async def publish(self, events: Sequence[Envelope]) -> None:
        self.outbox.extend(events)

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

    def add(self, token: str, **changes: object) -> Invitation:
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
                expires_at=NOW + TTL,
                correlation_id="corr-1",
            ),
            **changes,
        )
        self.invitations[invitation.id] = invitation
        self.token_hashes[invitation.id] = hash_token(token)
        return invitation


@pytest.fixture
def sealer() -> Sealer:
    return Sealer(new_key())


@pytest.fixture
def policy(sealer: Sealer) -> IssuePolicy:
    return IssuePolicy(registration_url=REGISTRATION_URL, ttl=TTL, sealer=sealer)


def enrolment_created(**data: object) -> EnrolmentCreated:
    fields: dict[str, object] = {
        "enrolment_id": "enr-1",
        "email": "ann@example.org",
        "name": "Ann Lee",
        "external_id": "s1",
        "role": "learner",
        "course": "Biology 101",
        "channel": "sms",
        "phone": "+447700900123",
        **data,
    }
    return EnrolmentCreated(
        source="/onboarding/enrolment",
        subject=str(fields["enrolment_id"]),
        tenant_id="tenant-1",
        correlation_id="corr-1",
        data=EnrolmentCreatedData(**fields),
    )


async def issue(store: FakeStore, policy: IssuePolicy, event: EnrolmentCreated) -> None:
    await on_enrolment_created(store, [event], policy, now=lambda: NOW, token=lambda: TOKEN)


# --- on_enrolment_created ----------------------------------------------------------------


async def test_creates_a_pending_invitation_expiring_after_the_ttl(policy: IssuePolicy) -> None:
    store = FakeStore()
    await issue(store, policy, enrolment_created())
    [invitation] = store.invitations.values()
    assert invitation.status is InvitationStatus.PENDING
    assert invitation.expires_at == NOW + TTL
    assert invitation.send_count == 1
    assert invitation.tenant_id == "tenant-1"
    assert invitation.enrolment_id == "enr-1"
    assert invitation.email == "ann@example.org"
    assert invitation.name == "Ann Lee"
    assert invitation.course == "Biology 101"
    assert invitation.channel == "sms"
    assert invitation.correlation_id == "corr-1"
    assert store.phones[invitation.id] == "+447700900123"


async def test_stores_only_the_hash_of_the_token(policy: IssuePolicy) -> None:
    store = FakeStore()
    await issue(store, policy, enrolment_created())
    [invitation_id] = store.invitations
    assert store.token_hashes[invitation_id] == hash_token(TOKEN)
    assert store.token_hashes[invitation_id] != TOKEN.encode()


async def test_publishes_invitation_issued_caused_by_the_enrolment(policy: IssuePolicy) -> None:
    store = FakeStore()
    cause = enrolment_created()
    await issue(store, policy, cause)
    [invitation] = store.invitations.values()
    [event] = store.outbox
    assert isinstance(event, InvitationIssued)
    assert event.source == SOURCE
    assert event.subject == invitation.id
    assert event.tenant_id == "tenant-1"
    assert event.correlation_id == "corr-1"
    assert event.causation_id == cause.id
    data = event.data
    assert data.invitation_id == invitation.id
    assert data.enrolment_id == "enr-1"
    assert str(data.email) == "ann@example.org"
    assert data.name == "Ann Lee"
    assert data.course == "Biology 101"
    assert data.channel == "sms"
    assert data.phone == "+447700900123"
    assert data.expires_at == NOW + TTL
    assert data.send_count == 1


async def test_sealed_link_hides_the_token_and_unseals_to_the_accept_link(
    policy: IssuePolicy, sealer: Sealer
) -> None:
    store = FakeStore()
    await issue(store, policy, enrolment_created())
    [event] = store.outbox
    assert isinstance(event, InvitationIssued)
    sealed = event.data.sealed_link
    assert TOKEN not in sealed
    assert accept_link(REGISTRATION_URL, TOKEN) not in sealed
    assert TOKEN not in event.model_dump_json()

    link = sealer.unseal(sealed, context=event.data.invitation_id)
    assert link == accept_link(REGISTRATION_URL, TOKEN)
    assert link.startswith("https://join.example.org/join?")
    [token] = parse_qs(urlsplit(link).query)["token"]
    assert token == TOKEN
    assert hash_token(token) == store.token_hashes[event.data.invitation_id]


async def test_sealed_link_is_bound_to_its_invitation(policy: IssuePolicy, sealer: Sealer) -> None:
    store = FakeStore()
    await issue(store, policy, enrolment_created())
    [event] = store.outbox
    assert isinstance(event, InvitationIssued)
    with pytest.raises(SealError):
        sealer.unseal(event.data.sealed_link, context="another-invitation")


async def test_default_tokens_are_fresh_and_hashed(policy: IssuePolicy, sealer: Sealer) -> None:
    store = FakeStore()
    await on_enrolment_created(store, [enrolment_created(enrolment_id="e1")], policy, lambda: NOW)
    await on_enrolment_created(store, [enrolment_created(enrolment_id="e2")], policy, lambda: NOW)
    tokens = []
    for event in store.outbox:
        assert isinstance(event, InvitationIssued)
        link = sealer.unseal(event.data.sealed_link, context=event.data.invitation_id)
        [token] = parse_qs(urlsplit(link).query)["token"]
        assert store.token_hashes[event.data.invitation_id] == hash_token(token)
        tokens.append(token)
    assert len(set(tokens)) == 2
    assert len(set(store.invitations)) == 2


def test_new_token_has_256_bits() -> None:
    token = new_token()
    assert len(token) >= 43  # 32 bytes in base64url
    assert token != new_token()


async def test_no_invitation_when_the_tenant_invites_by_hand(policy: IssuePolicy) -> None:
    store = FakeStore()
    await issue(store, policy, enrolment_created(invite=False))
    assert store.invitations == {}
    assert store.outbox == []


async def test_nothing_published_when_the_enrolment_is_already_invited(
    policy: IssuePolicy,
) -> None:
    store = FakeStore(create_returns=False)
    await issue(store, policy, enrolment_created())
    assert store.outbox == []


async def test_a_redelivered_event_invites_once(policy: IssuePolicy) -> None:
    store = FakeStore()
    event = enrolment_created()
    await issue(store, policy, event)
    await issue(store, policy, event)
    assert len(store.invitations) == 1
    assert len(store.outbox) == 1


# --- inspect_invitation and redeem_invitation --------------------------------------------


async def test_inspect_returns_a_usable_invitation() -> None:
    store = FakeStore()
    invitation = store.add("tok")
    assert await inspect_invitation(store, "tok", lambda: NOW) == invitation


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"status": InvitationStatus.ACCEPTED}, LinkRefusal.USED),
        ({"status": InvitationStatus.REVOKED}, LinkRefusal.REVOKED),
        ({"status": InvitationStatus.EXPIRED}, LinkRefusal.EXPIRED),
        ({"expires_at": NOW}, LinkRefusal.EXPIRED),
        ({"expires_at": NOW - timedelta(minutes=1)}, LinkRefusal.EXPIRED),
    ],
)
async def test_inspect_refuses_with_the_reason(
    changes: dict[str, object], reason: LinkRefusal
) -> None:
    store = FakeStore()
    store.add("tok", **changes)
    with pytest.raises(LinkRefused) as caught:
        await inspect_invitation(store, "tok", lambda: NOW)
    assert caught.value.reason is reason
    assert str(caught.value) == reason.message


async def test_inspect_unknown_token() -> None:
    store = FakeStore()
    store.add("tok")
    with pytest.raises(LinkRefused) as caught:
        await inspect_invitation(store, "other", lambda: NOW)
    assert caught.value.reason is LinkRefusal.UNKNOWN


async def test_redeem_accepts_once_and_publishes() -> None:
    store = FakeStore()
    store.add("tok")
    redeemed = await redeem_invitation(store, "tok", lambda: NOW)
    assert redeemed.id == "inv-1"
    assert store.redeem_calls == [(hash_token("tok"), NOW)]
    [event] = store.outbox
    assert isinstance(event, InvitationAccepted)
    assert event.source == SOURCE
    assert event.subject == "inv-1"
    assert event.tenant_id == "tenant-1"
    assert event.correlation_id == "corr-1"
    assert event.data.invitation_id == "inv-1"
    assert event.data.enrolment_id == "enr-1"
    assert event.data.accepted_at == NOW

    with pytest.raises(LinkRefused) as caught:
        await redeem_invitation(store, "tok", lambda: NOW)
    assert caught.value.reason is LinkRefusal.USED
    assert len(store.outbox) == 1


@pytest.mark.parametrize(
    ("token", "changes", "reason"),
    [
        ("other", {}, LinkRefusal.UNKNOWN),
        ("tok", {"status": InvitationStatus.ACCEPTED}, LinkRefusal.USED),
        ("tok", {"status": InvitationStatus.REVOKED}, LinkRefusal.REVOKED),
        ("tok", {"status": InvitationStatus.EXPIRED}, LinkRefusal.EXPIRED),
        ("tok", {"expires_at": NOW}, LinkRefusal.EXPIRED),
    ],
)
async def test_redeem_refuses_with_the_reason(
    token: str, changes: dict[str, object], reason: LinkRefusal
) -> None:
    store = FakeStore()
    store.add("tok", **changes)
    with pytest.raises(LinkRefused) as caught:
        await redeem_invitation(store, token, lambda: NOW)
    assert caught.value.reason is reason
    assert store.outbox == []


async def test_redeem_judges_expiry_at_one_instant() -> None:
    # The clock is read once: a clock that moves on between the redeem and the check of why
    # it failed must not change the answer.
    store = FakeStore()
    store.add("tok", expires_at=NOW)
    times = iter([NOW, NOW - timedelta(hours=1)])
    with pytest.raises(LinkRefused) as caught:
        await redeem_invitation(store, "tok", lambda: next(times))
    assert caught.value.reason is LinkRefusal.EXPIRED


async def test_redeem_lost_to_a_concurrent_redeem_is_used() -> None:
    # The compare-and-set found nothing, yet the invitation still looks usable: another
    # request redeemed it in between (the fake's view of the row is stale).
    store = FakeStore()
    store.add("tok")

    async def lost_race(
        token_hash: bytes, now: datetime, account_id: str | None = None
    ) -> tuple[Invitation, bool] | None:
        return None

    store.redeem = lost_race
    with pytest.raises(LinkRefused) as caught:
        await redeem_invitation(store, "tok", lambda: NOW)
    assert caught.value.reason is LinkRefusal.USED
    assert store.outbox == []


# --- batches, requests and cancellation --------------------------------------------------


async def test_a_batch_invites_each_enrolment_once_with_its_own_link(
    policy: IssuePolicy, sealer: Sealer
) -> None:
    store = FakeStore()
    events = [
        enrolment_created(enrolment_id="e1"),
        enrolment_created(enrolment_id="e2", invite=False),
        enrolment_created(enrolment_id="e3"),
        enrolment_created(enrolment_id="e1"),  # a repeat for e1 in the same batch
    ]
    await on_enrolment_created(store, events, policy, lambda: NOW)
    issued = [e for e in store.outbox if isinstance(e, InvitationIssued)]
    assert [e.data.enrolment_id for e in issued] == ["e1", "e3"]
    links = {sealer.unseal(e.data.sealed_link, context=e.data.invitation_id) for e in issued}
    assert len(links) == 2, "every invitation has its own token"
    assert [e.causation_id for e in issued] == [events[0].id, events[2].id]


async def test_an_invitation_request_invites_a_person_enrolled_without_one(
    policy: IssuePolicy,
) -> None:
    store = FakeStore()
    await on_enrolment_created(store, [enrolment_created(invite=False)], policy, lambda: NOW)
    assert store.invitations == {}
    request = InvitationRequested(
        source="/test",
        subject="enr-1",
        tenant_id="tenant-1",
        correlation_id="corr-2",
        data=InvitationRequestedData(
            enrolment_id="enr-1", email="ann@example.org", name="Ann Lee", course="Biology 101"
        ),
    )
    await on_invitation_requested(store, [request], policy, lambda: NOW)
    await on_invitation_requested(store, [request], policy, lambda: NOW)
    assert [i.enrolment_id for i in store.invitations.values()] == ["enr-1"]
    assert [e.correlation_id for e in store.outbox] == ["corr-2"]


async def test_cancelling_revokes_the_pending_invitation_once(policy: IssuePolicy) -> None:
    store = FakeStore()
    store.add("tok")
    cancelled = EnrolmentCancelled(
        source="/test",
        subject="enr-1",
        tenant_id="tenant-1",
        correlation_id="corr-3",
        data=EnrolmentCancelledData(enrolment_id="enr-1", email="ann@example.org", course="x"),
    )
    await on_enrolment_cancelled(store, cancelled, lambda: NOW)
    await on_enrolment_cancelled(store, cancelled, lambda: NOW)
    assert store.invitations["inv-1"].status is InvitationStatus.REVOKED
    assert [type(e).__name__ for e in store.outbox] == ["InvitationRevoked"]
    with pytest.raises(LinkRefused) as refused:
        await inspect_invitation(store, "tok", lambda: NOW)
    assert refused.value.reason is LinkRefusal.REVOKED


async def test_the_account_a_link_was_redeemed_for_may_ask_again_and_nobody_else() -> None:
    store = FakeStore()
    store.add("tok")
    first = await redeem_invitation(store, "tok", lambda: NOW, account_id="acc-1")
    again = await redeem_invitation(store, "tok", lambda: NOW, account_id="acc-1")
    assert again.id == first.id
    assert [type(e).__name__ for e in store.outbox] == ["InvitationAccepted"], "announced once"
    with pytest.raises(LinkRefused) as refused:
        await redeem_invitation(store, "tok", lambda: NOW, account_id="acc-2")
    assert refused.value.reason is LinkRefusal.USED
