"""Resends, a person's new link, reminders and the sweeper over the fakes: each replaces
the link (the old hash kept), counts, and announces the new link, or says why not."""

from datetime import UTC, datetime, timedelta
from itertools import count
from urllib.parse import parse_qs, urlsplit

import pytest
from invitation.domain.links import hash_token
from invitation.domain.statuses import InvitationStatus
from invitation.errors import LinkRefused, ResendRefused
from invitation.use_cases.expiring import expire_invitations
from invitation.use_cases.new_links import send_new_link
from invitation.use_cases.reminding import send_reminders
from invitation.use_cases.resending import resend_invitation
from invitation.use_cases.sending import Links
from onboarding_contracts import InvitationExpired, InvitationIssued, Origin, ReminderRequested
from onboarding_contracts.events import LinkPolicy, ReminderRequestedData, link_context_of
from onboarding_contracts.internal.invitations import LinkRefusal, ResendIn, ResendRefusal
from onboarding_kit.sealing import Sealer, new_key

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
S = InvitationStatus


def at_now() -> datetime:
    return NOW


@pytest.fixture
def links() -> Links:
    tokens = (f"tok-{n}" for n in count(2))
    return Links("https://join.example.org", Sealer(new_key()), lambda: next(tokens))


def token_in(links: Links, event: InvitationIssued) -> str:
    link = links.sealer.unseal(event.data.sealed_link, context=link_context_of(event))
    [token] = parse_qs(urlsplit(link).query)["token"]
    return token


def resend_in(**policy: object) -> ResendIn:
    return ResendIn(tenant_id="tenant-1", enrolment_id="enr-1", link_policy=LinkPolicy(**policy))


class TestResend:
    async def test_replaces_the_link_and_announces_it(self, tx, uow, links) -> None:
        tx.invitations.add("tok-1", status=S.EXPIRED)
        resent = await resend_invitation(uow, at_now, links, resend_in(ttl_hours=2))
        assert (resent.status, resent.send_count, resent.resend_count) == (S.PENDING, 2, 1)
        assert (resent.last_sent_at, resent.expires_at) == (NOW, NOW + timedelta(hours=2))
        assert tx.invitations.replaced == {hash_token("tok-1"): "inv-1"}
        [event] = tx.outbox
        assert isinstance(event, InvitationIssued)
        assert (event.data.reason, event.data.send_count, event.data.resend_count) == (
            "resend",
            2,
            1,
        )
        assert (event.tenant_id, event.correlation_id) == ("tenant-1", "corr-1")
        assert hash_token(token_in(links, event)) == tx.invitations.token_hashes["inv-1"]

    async def test_the_policy_of_the_request_decides_the_limit(self, tx, uow, links) -> None:
        tx.invitations.add("tok-1", resend_count=3, max_resends=3)
        resent = await resend_invitation(uow, at_now, links, resend_in(max_resends=5))
        assert (resent.resend_count, resent.max_resends) == (4, 5)
        with pytest.raises(ResendRefused) as refused:
            await resend_invitation(uow, at_now, links, resend_in(max_resends=4))
        assert refused.value.reason is ResendRefusal.LIMIT_REACHED
        assert refused.value.status == 409
        assert "at most 4 times" in refused.value.detail

    @pytest.mark.parametrize(
        ("status", "reason"),
        [(S.ACCEPTED, ResendRefusal.ACCEPTED), (S.REVOKED, ResendRefusal.REVOKED)],
    )
    async def test_refuses_a_finished_invitation(self, tx, uow, links, status, reason) -> None:
        tx.invitations.add("tok-1", status=status)
        with pytest.raises(ResendRefused) as refused:
            await resend_invitation(uow, at_now, links, resend_in())
        assert refused.value.reason is reason
        assert refused.value.extensions == {"reason": reason.value, "message": str(refused.value)}
        assert tx.outbox == []

    async def test_refuses_an_enrolment_without_invitation_in_this_tenant(
        self, tx, uow, links
    ) -> None:
        tx.invitations.add("tok-1", tenant_id="tenant-2")
        with pytest.raises(ResendRefused) as refused:
            await resend_invitation(uow, at_now, links, resend_in())
        assert refused.value.reason is ResendRefusal.NOT_ISSUED


class TestNewLink:
    async def test_a_replaced_or_expired_link_brings_a_new_one(self, tx, uow, links) -> None:
        tx.invitations.add("tok-1", status=S.EXPIRED, self_service_resend=True, ttl_hours=3)
        tx.invitations.replaced[hash_token("tok-0")] = "inv-1"
        resent = await send_new_link(uow, at_now, links, "tok-0")
        assert (resent.send_count, resent.resend_count, resent.status) == (2, 1, S.PENDING)
        assert resent.expires_at == NOW + timedelta(hours=3), "the stored policy's lifetime"
        [event] = tx.outbox
        assert isinstance(event, InvitationIssued)
        assert event.data.reason == "resend"

    @pytest.mark.parametrize(
        ("changes", "reason"),
        [
            ({"self_service_resend": False}, ResendRefusal.NOT_ALLOWED),
            ({"resend_count": 3}, ResendRefusal.LIMIT_REACHED),
            ({"last_sent_at": NOW - timedelta(minutes=9)}, ResendRefusal.TOO_SOON),
        ],
    )
    async def test_refusals(self, tx, uow, links, changes, reason) -> None:
        tx.invitations.add("tok-1", status=S.EXPIRED, **{"self_service_resend": True, **changes})
        with pytest.raises(ResendRefused) as refused:
            await send_new_link(uow, at_now, links, "tok-1")
        assert refused.value.reason is reason
        assert tx.outbox == []

    @pytest.mark.parametrize(
        ("token", "status", "reason"),
        [
            ("nobodys", S.EXPIRED, LinkRefusal.UNKNOWN),
            ("tok-1", S.ACCEPTED, LinkRefusal.USED),
            ("tok-1", S.REVOKED, LinkRefusal.REVOKED),
        ],
    )
    async def test_a_link_gone_for_good_is_refused_as_inspecting_it(
        self, tx, uow, links, token, status, reason
    ) -> None:
        tx.invitations.add("tok-1", status=status, self_service_resend=True)
        with pytest.raises(LinkRefused) as refused:
            await send_new_link(uow, at_now, links, token)
        assert refused.value.reason is reason

    async def test_losing_a_race_is_too_soon(self, tx, uow, links) -> None:
        # Judged resendable, then another request replaced the link first: the
        # compare-and-set refuses, and the invitation as that left it says why.
        tx.invitations.add("tok-1", status=S.EXPIRED, self_service_resend=True)
        tx.lifecycle.lost_races = 1
        with pytest.raises(ResendRefused) as refused:
            await send_new_link(uow, at_now, links, "tok-1")
        assert refused.value.reason is ResendRefusal.TOO_SOON


def reminder(policy: LinkPolicy | None = None, enrolment_id: str = "enr-1") -> ReminderRequested:
    return ReminderRequested.new(
        Origin("/onboarding/enrolment", "tenant-1", "corr-9"),
        ReminderRequestedData(enrolment_id=enrolment_id, course="Biology 101", link_policy=policy),
    )


class TestReminders:
    async def test_a_reminder_replaces_the_link_and_does_not_count_as_a_resend(
        self, tx, links
    ) -> None:
        tx.invitations.add("tok-1", status=S.EXPIRED, resend_count=3)
        request = reminder(LinkPolicy(ttl_hours=48))
        await send_reminders(tx, [request, request], links=links, clock=at_now)
        found = tx.invitations.invitations["inv-1"]
        assert (found.send_count, found.reminder_count, found.resend_count) == (2, 1, 3)
        assert (found.status, found.last_reminded_at) == (S.PENDING, NOW)
        assert found.expires_at == NOW + timedelta(hours=48)
        [event] = tx.outbox  # the second, within the hour, was skipped
        assert isinstance(event, InvitationIssued)
        assert (event.data.reason, event.data.reminder_count) == ("reminder", 1)
        assert event.causation_id == request.id

    async def test_an_hour_later_it_may_again(self, tx, links) -> None:
        tx.invitations.add("tok-1", last_reminded_at=NOW - timedelta(hours=1))
        await send_reminders(tx, [reminder()], links=links, clock=at_now)
        assert tx.invitations.invitations["inv-1"].reminder_count == 1

    @pytest.mark.parametrize("status", [S.ACCEPTED, S.REVOKED])
    async def test_never_the_registered_or_withdrawn(self, tx, links, status) -> None:
        tx.invitations.add("tok-1", status=status)
        await send_reminders(
            tx, [reminder(), reminder(enrolment_id="enr-9")], links=links, clock=at_now
        )
        assert tx.outbox == []


async def test_the_sweeper_expires_what_is_due_in_batches(tx) -> None:
    for n in range(5):
        due_at = NOW - timedelta(days=n)
        tx.invitations.add(f"tok-{n}", id=f"inv-{n}", enrolment_id=f"enr-{n}", expires_at=due_at)
    tx.invitations.add(
        "tok-9", id="inv-9", enrolment_id="enr-9", expires_at=NOW + timedelta(days=1)
    )
    assert await expire_invitations(tx, clock=at_now, batch=2) == 5
    statuses = {i.id: i.status for i in tx.invitations.invitations.values()}
    assert statuses == {**{f"inv-{n}": S.EXPIRED for n in range(5)}, "inv-9": S.PENDING}
    assert all(isinstance(e, InvitationExpired) for e in tx.outbox)
    expired = sorted((e.subject, e.data.expired_at) for e in tx.outbox)
    assert expired == [(f"inv-{n}", NOW - timedelta(days=n)) for n in range(5)]
    assert await expire_invitations(tx, clock=at_now) == 0
