"""Who may be sent a link again (a resend, a reminder), and how the invitations' view
follows their events when they arrive late or twice."""

from datetime import UTC, datetime, timedelta

import pytest
from enrolment.domain.invitations import (
    InvitationStatus,
    Refusal,
    Sent,
    check_can_send,
    check_remindable,
    expiry_applies,
    is_newer,
    latest_sends,
)
from enrolment.domain.statuses import EnrolmentStatus
from enrolment.errors import SendRefused

S = EnrolmentStatus
NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


def sent(enrolment_id: str, send_count: int) -> Sent:
    return Sent(enrolment_id, "inv", send_count, send_count - 1, 0, NOW, NOW + timedelta(1))


def test_of_several_links_of_one_enrolment_only_the_latest_counts() -> None:
    batch = [sent("a", 1), sent("b", 1), sent("a", 3), sent("a", 2)]
    assert sorted((s.enrolment_id, s.send_count) for s in latest_sends(batch)) == [
        ("a", 3),
        ("b", 1),
    ]


def test_a_link_counts_only_when_newer_than_the_one_known() -> None:
    assert is_newer(sent("a", 1), None)
    assert is_newer(sent("a", 2), 1)
    assert not is_newer(sent("a", 2), 2)  # a redelivery, or the resend's answer came first
    assert not is_newer(sent("a", 1), 2)  # arrived late: it died when link 2 was sent


def test_an_expiry_counts_only_for_the_link_known() -> None:
    assert expiry_applies(1, 1)
    assert not expiry_applies(1, 2)  # a newer link was sent since
    assert not expiry_applies(2, 1)  # of a link the view has not heard of yet
    assert not expiry_applies(1, None)


@pytest.mark.parametrize(
    ("status", "registered", "invitation", "reason"),
    [
        (S.CANCELLED, False, None, Refusal.CANCELLED),
        (S.INVITED, False, InvitationStatus.REVOKED, Refusal.CANCELLED),
        (S.ACTIVE, True, None, Refusal.REGISTERED),
        (S.PENDING_ACTIVATION, True, None, Refusal.REGISTERED),
        (S.INVITED, True, None, Refusal.REGISTERED),  # registered, not active yet
        (S.INVITED, False, InvitationStatus.ACCEPTED, Refusal.REGISTERED),
        (S.ENROLLED, False, None, Refusal.NOT_INVITED),
    ],
)
def test_a_link_is_never_sent_again_to_these(
    status: EnrolmentStatus,
    registered: bool,
    invitation: InvitationStatus | None,
    reason: Refusal,
) -> None:
    with pytest.raises(SendRefused) as caught:
        check_can_send(status, registered=registered, invitation=invitation)
    assert caught.value.reason == reason.value
    assert caught.value.status == 409
    assert caught.value.extensions == {"reason": reason.value, "message": caught.value.detail}


@pytest.mark.parametrize("status", [S.INVITED, S.EXPIRED])
@pytest.mark.parametrize("invitation", [None, InvitationStatus.PENDING, InvitationStatus.EXPIRED])
def test_the_invited_and_expired_may_be_sent_a_link(
    status: EnrolmentStatus, invitation: InvitationStatus | None
) -> None:
    check_can_send(status, registered=False, invitation=invitation)


def test_a_reminder_waits_an_hour_after_the_last_one() -> None:
    def remind(last: datetime | None, status: EnrolmentStatus = S.INVITED) -> None:
        check_remindable(
            status, registered=False, invitation=None, reminder_requested_at=last, now=NOW
        )

    remind(None)
    remind(NOW - timedelta(hours=1))
    remind(NOW - timedelta(days=3), S.EXPIRED)
    with pytest.raises(SendRefused) as caught:
        remind(NOW - timedelta(minutes=59))
    assert caught.value.reason == "too_soon"
    with pytest.raises(SendRefused) as caught:
        remind(None, S.CANCELLED)
    assert caught.value.reason == "cancelled"
