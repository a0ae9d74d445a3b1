"""Inspecting and redeeming links over the fakes: single use, and the reason of a refusal."""

from datetime import UTC, datetime, timedelta

import pytest
from invitation.domain.links import hash_token
from invitation.domain.statuses import REFUSAL_MESSAGES, InvitationStatus
from invitation.errors import LinkRefused
from invitation.store.invitations import Invitation
from invitation.use_cases import SOURCE
from invitation.use_cases.redeeming import inspect_invitation, redeem_invitation
from onboarding_contracts import InvitationAccepted
from onboarding_contracts.internal.invitations import LinkRefusal

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def at_now() -> datetime:
    return NOW


async def test_inspect_returns_a_usable_invitation(tx, uow) -> None:
    invitation = tx.invitations.add("tok")
    assert await inspect_invitation(uow, at_now, "tok") == invitation
    assert tx.outbox == []


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
    tx, uow, changes: dict[str, object], reason: LinkRefusal
) -> None:
    tx.invitations.add("tok", **changes)
    with pytest.raises(LinkRefused) as caught:
        await inspect_invitation(uow, at_now, "tok")
    assert caught.value.reason is reason
    assert str(caught.value) == REFUSAL_MESSAGES[reason]
    assert caught.value.status == reason.status_code == 410


async def test_inspect_unknown_token(tx, uow) -> None:
    tx.invitations.add("tok")
    with pytest.raises(LinkRefused) as caught:
        await inspect_invitation(uow, at_now, "other")
    assert caught.value.reason is LinkRefusal.UNKNOWN
    assert caught.value.status == 404


async def test_redeem_accepts_once_and_publishes(tx, uow) -> None:
    tx.invitations.add("tok")
    redeemed = await redeem_invitation(uow, at_now, "tok")
    assert redeemed.id == "inv-1"
    assert tx.invitations.redeem_calls == [(hash_token("tok"), NOW)]
    assert uow.commits == 1
    [event] = tx.outbox
    assert isinstance(event, InvitationAccepted)
    assert event.source == SOURCE
    assert event.subject == "inv-1"
    assert event.tenant_id == "tenant-1"
    assert event.correlation_id == "corr-1"
    assert event.causation_id is None  # a request, not an event, caused it
    assert event.data.invitation_id == "inv-1"
    assert event.data.enrolment_id == "enr-1"
    assert event.data.accepted_at == NOW

    with pytest.raises(LinkRefused) as caught:
        await redeem_invitation(uow, at_now, "tok")
    assert caught.value.reason is LinkRefusal.USED
    assert len(tx.outbox) == 1


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
    tx, uow, token: str, changes: dict[str, object], reason: LinkRefusal
) -> None:
    tx.invitations.add("tok", **changes)
    with pytest.raises(LinkRefused) as caught:
        await redeem_invitation(uow, at_now, token)
    assert caught.value.reason is reason
    assert tx.outbox == []


async def test_redeem_judges_expiry_at_one_instant(tx, uow) -> None:
    # The clock is read once: a clock that moves on between the redeem and the check of why
    # it failed must not change the answer.
    tx.invitations.add("tok", expires_at=NOW)
    times = iter([NOW, NOW - timedelta(hours=1)])
    with pytest.raises(LinkRefused) as caught:
        await redeem_invitation(uow, lambda: next(times), "tok")
    assert caught.value.reason is LinkRefusal.EXPIRED


async def test_redeem_lost_to_a_concurrent_redeem_is_used(tx, uow) -> None:
    # The compare-and-set found nothing, yet the invitation still looks usable: another
    # request redeemed it in between (the fake's view of the row is stale).
    tx.invitations.add("tok")

    async def lost_race(
        token_hash: bytes, now: datetime, account_id: str | None = None
    ) -> tuple[Invitation, bool] | None:
        return None

    tx.invitations.redeem = lost_race
    with pytest.raises(LinkRefused) as caught:
        await redeem_invitation(uow, at_now, "tok")
    assert caught.value.reason is LinkRefusal.USED
    assert tx.outbox == []


async def test_the_account_a_link_was_redeemed_for_may_ask_again_and_nobody_else(tx, uow) -> None:
    tx.invitations.add("tok")
    first = await redeem_invitation(uow, at_now, "tok", account_id="acc-1")
    again = await redeem_invitation(uow, at_now, "tok", account_id="acc-1")
    assert again.id == first.id
    assert [type(e).__name__ for e in tx.outbox] == ["InvitationAccepted"], "announced once"
    with pytest.raises(LinkRefused) as refused:
        await redeem_invitation(uow, at_now, "tok", account_id="acc-2")
    assert refused.value.reason is LinkRefusal.USED


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (InvitationStatus.PENDING, LinkRefusal.REPLACED),
        (InvitationStatus.EXPIRED, LinkRefusal.REPLACED),
        (InvitationStatus.ACCEPTED, LinkRefusal.USED),
        (InvitationStatus.REVOKED, LinkRefusal.REVOKED),
    ],
)
async def test_a_replaced_link_is_refused_as_replaced_not_unknown(
    tx, uow, status: InvitationStatus, reason: LinkRefusal
) -> None:
    tx.invitations.add("newest", status=status)
    tx.invitations.replaced[hash_token("older")] = "inv-1"
    for use in (inspect_invitation, redeem_invitation):
        with pytest.raises(LinkRefused) as caught:
            await use(uow, at_now, "older")
        assert caught.value.reason is reason
        assert caught.value.status == 410
    assert tx.outbox == []


@pytest.mark.parametrize(
    ("changes", "allowed"),
    [
        ({"self_service_resend": True}, True),
        ({"self_service_resend": False}, False),
        ({"self_service_resend": True, "resend_count": 3}, False),
    ],
)
async def test_an_expired_or_replaced_link_says_whether_a_new_one_may_be_asked_for(
    tx, uow, changes: dict[str, object], allowed: bool
) -> None:
    tx.invitations.add("tok", status=InvitationStatus.EXPIRED, **changes)
    tx.invitations.replaced[hash_token("older")] = "inv-1"
    for token in ("tok", "older"):
        with pytest.raises(LinkRefused) as caught:
            await inspect_invitation(uow, at_now, token)
        assert caught.value.new_link_allowed is allowed
        assert caught.value.extensions["new_link_allowed"] is allowed
        assert ("new link below" in str(caught.value)) is allowed


async def test_a_used_link_never_offers_a_new_one(tx, uow) -> None:
    tx.invitations.add("tok", status=InvitationStatus.ACCEPTED, self_service_resend=True)
    with pytest.raises(LinkRefused) as caught:
        await inspect_invitation(uow, at_now, "tok")
    assert caught.value.new_link_allowed is False
