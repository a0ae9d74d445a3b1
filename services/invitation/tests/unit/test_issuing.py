"""Issuing invitations on EnrolmentCreated and InvitationRequested, over the fakes."""

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from itertools import count
from urllib.parse import parse_qs, urlsplit

import pytest
from invitation.domain.links import accept_link, hash_token, new_token
from invitation.domain.statuses import InvitationStatus
from invitation.use_cases import SOURCE
from invitation.use_cases.issuing import InvitationCause, issue_invitations
from invitation.use_cases.sending import Links
from onboarding_contracts import EnrolmentCreated, InvitationIssued, InvitationRequested, Origin
from onboarding_contracts.events import (
    EnrolmentCreatedData,
    InvitationRequestedData,
    LinkPolicy,
    link_context_of,
    parse_event,
)
from onboarding_kit.ids import new_id
from onboarding_kit.sealing import Sealer, SealError, new_key

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
TTL = timedelta(hours=24)
REGISTRATION_URL = "https://join.example.org/"
TOKEN = "raw-token-+/=&?"  # characters that must be encoded in a URL
ENROLMENT = Origin("/onboarding/enrolment", "tenant-1", "corr-1")


@pytest.fixture
def sealer() -> Sealer:
    return Sealer(new_key())


@pytest.fixture
def issue(tx, sealer: Sealer):
    """Issue for these events at NOW, with TOKEN for every link unless told otherwise."""

    async def issue(
        causes: Sequence[InvitationCause],
        *,
        token: Callable[[], str] = lambda: TOKEN,
        ids: Callable[[], str] = new_id,
    ) -> None:
        await issue_invitations(
            tx,
            causes,
            links=Links(REGISTRATION_URL, sealer, token),
            clock=lambda: NOW,
            new_id=ids,
        )

    return issue


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
    return EnrolmentCreated.new(ENROLMENT, EnrolmentCreatedData(**fields))


def sealed_token(sealer: Sealer, event: InvitationIssued) -> str:
    link = sealer.unseal(event.data.sealed_link, context=link_context_of(event))
    [token] = parse_qs(urlsplit(link).query)["token"]
    return token


async def test_creates_a_pending_invitation_expiring_after_the_ttl(tx, issue) -> None:
    await issue([enrolment_created()])
    [invitation] = tx.invitations.invitations.values()
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
    assert invitation.phone == "+447700900123"
    assert tx.invitations.created_at[invitation.id] == NOW, "the clock's time, not the DB's"
    assert invitation.last_sent_at == NOW
    assert (invitation.resend_count, invitation.reminder_count) == (0, 0)
    assert invitation.last_reminded_at is None
    # No link policy in the event: the defaults, stored with the invitation.
    assert invitation.policy == LinkPolicy()


async def test_the_tenants_link_policy_sets_the_lifetime_and_is_stored(tx, issue) -> None:
    policy = LinkPolicy(ttl_hours=0.5, max_resends=5, self_service_resend=True)
    await issue([enrolment_created(link_policy=policy)])
    [invitation] = tx.invitations.invitations.values()
    assert invitation.expires_at == NOW + timedelta(minutes=30)
    assert invitation.policy == policy
    [event] = tx.outbox
    assert isinstance(event, InvitationIssued)
    assert event.data.expires_at == NOW + timedelta(minutes=30)


async def test_invitation_ids_come_from_the_id_factory(tx, issue) -> None:
    ids = (f"inv-{n}" for n in count(1))
    await issue(
        [enrolment_created(enrolment_id="e1"), enrolment_created(enrolment_id="e2")],
        ids=lambda: next(ids),
    )
    assert sorted(tx.invitations.invitations) == ["inv-1", "inv-2"]
    assert sorted(e.subject for e in tx.outbox) == ["inv-1", "inv-2"]


async def test_stores_only_the_hash_of_the_token(tx, issue) -> None:
    await issue([enrolment_created()])
    [invitation_id] = tx.invitations.invitations
    assert tx.invitations.token_hashes[invitation_id] == hash_token(TOKEN)
    assert tx.invitations.token_hashes[invitation_id] != TOKEN.encode()


async def test_publishes_invitation_issued_caused_by_the_enrolment(tx, issue) -> None:
    cause = enrolment_created()
    await issue([cause])
    [invitation] = tx.invitations.invitations.values()
    [event] = tx.outbox
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
    assert (data.reason, data.resend_count, data.reminder_count) == ("invitation", 0, 0)


async def test_sealed_link_hides_the_token_and_unseals_to_the_accept_link(
    tx, issue, sealer: Sealer
) -> None:
    await issue([enrolment_created()])
    [event] = tx.outbox
    assert isinstance(event, InvitationIssued)
    sealed = event.data.sealed_link
    assert TOKEN not in sealed
    assert accept_link(REGISTRATION_URL, TOKEN) not in sealed
    assert TOKEN not in event.model_dump_json()

    link = sealer.unseal(sealed, context=link_context_of(event))
    assert link == accept_link(REGISTRATION_URL, TOKEN)
    assert link.startswith("https://join.example.org/join?")
    token = sealed_token(sealer, event)
    assert token == TOKEN
    assert hash_token(token) == tx.invitations.token_hashes[event.data.invitation_id]


@pytest.mark.parametrize(
    "replayed",
    [
        {"tenantid": "another-tenant"},
        {"data": {"invitation_id": "another-invitation"}},
        {"data": {"send_count": 2}},
        {"data": {"email": "mallory@example.org"}},
        {"data": {"phone": "+15005550006"}},
    ],
)
async def test_sealed_link_opens_only_for_its_tenant_invitation_send_and_recipient(
    tx, issue, sealer: Sealer, replayed: dict
) -> None:
    await issue([enrolment_created()])
    [event] = tx.outbox
    assert isinstance(event, InvitationIssued)
    wire = json.loads(event.to_json())
    wire.update({k: v for k, v in replayed.items() if k != "data"})
    wire["data"].update(replayed.get("data", {}))
    moved = parse_event(json.dumps(wire))
    assert isinstance(moved, InvitationIssued)
    with pytest.raises(SealError):
        sealer.unseal(moved.data.sealed_link, context=link_context_of(moved))


async def test_default_tokens_are_fresh_and_hashed(tx, issue, sealer: Sealer) -> None:
    await issue([enrolment_created(enrolment_id="e1")], token=new_token)
    await issue([enrolment_created(enrolment_id="e2")], token=new_token)
    tokens = []
    for event in tx.outbox:
        assert isinstance(event, InvitationIssued)
        token = sealed_token(sealer, event)
        assert tx.invitations.token_hashes[event.data.invitation_id] == hash_token(token)
        tokens.append(token)
    assert len(set(tokens)) == 2
    assert len(set(tx.invitations.invitations)) == 2


async def test_no_invitation_when_the_tenant_invites_by_hand(tx, issue) -> None:
    await issue([enrolment_created(invite=False)])
    assert tx.invitations.invitations == {}
    assert tx.outbox == []


async def test_nothing_published_when_the_enrolment_is_already_invited(tx, issue) -> None:
    tx.invitations.create_returns = False
    await issue([enrolment_created()])
    assert tx.outbox == []


async def test_a_redelivered_event_invites_once(tx, issue) -> None:
    event = enrolment_created()
    await issue([event])
    await issue([event])
    assert len(tx.invitations.invitations) == 1
    assert len(tx.outbox) == 1


async def test_a_batch_invites_each_enrolment_once_with_its_own_link(
    tx, issue, sealer: Sealer
) -> None:
    events = [
        enrolment_created(enrolment_id="e1"),
        enrolment_created(enrolment_id="e2", invite=False),
        enrolment_created(enrolment_id="e3"),
        enrolment_created(enrolment_id="e1"),  # a repeat for e1 in the same batch
    ]
    await issue(events, token=new_token)
    issued = [e for e in tx.outbox if isinstance(e, InvitationIssued)]
    assert [e.data.enrolment_id for e in issued] == ["e1", "e3"]
    links = {sealer.unseal(e.data.sealed_link, context=link_context_of(e)) for e in issued}
    assert len(links) == 2, "every invitation has its own token"
    assert [e.causation_id for e in issued] == [events[0].id, events[2].id]


async def test_an_invitation_request_invites_a_person_enrolled_without_one(tx, issue) -> None:
    await issue([enrolment_created(invite=False)])
    assert tx.invitations.invitations == {}
    request = InvitationRequested.new(
        Origin("/test", "tenant-1", "corr-2"),
        InvitationRequestedData(
            enrolment_id="enr-1", email="ann@example.org", name="Ann Lee", course="Biology 101"
        ),
    )
    await issue([request])
    await issue([request])
    assert [i.enrolment_id for i in tx.invitations.invitations.values()] == ["enr-1"]
    assert [e.correlation_id for e in tx.outbox] == ["corr-2"]
    assert [e.causation_id for e in tx.outbox] == [request.id]
