"""When a link may be replaced: an admin's resend, a person's own request, a reminder; and
what each refusal says."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from invitation.domain.resends import (
    NEW_LINK_GAP,
    REMINDER_GAP,
    new_link_allowed,
    new_link_message,
    new_link_refusal,
    reminder_due,
    resend_message,
    resend_refusal,
)
from invitation.domain.statuses import InvitationStatus
from onboarding_contracts.internal.invitations import ResendRefusal

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
S = InvitationStatus


@dataclass(frozen=True)
class Held:
    status: InvitationStatus = S.EXPIRED
    resend_count: int = 0
    max_resends: int = 3
    self_service_resend: bool = True
    last_sent_at: datetime = NOW - timedelta(days=2)


class TestResendRefusal:
    @pytest.mark.parametrize("status", [S.PENDING, S.EXPIRED])
    def test_pending_or_expired_under_the_limit_may_be_resent(self, status) -> None:
        assert resend_refusal(status, 2, 3) is None

    @pytest.mark.parametrize("status", [S.PENDING, S.EXPIRED])
    def test_the_limit_reached(self, status) -> None:
        assert resend_refusal(status, 3, 3) is ResendRefusal.LIMIT_REACHED
        assert resend_refusal(status, 0, 0) is ResendRefusal.LIMIT_REACHED
        assert resend_refusal(status, 4, 3) is ResendRefusal.LIMIT_REACHED, "policy lowered"

    def test_accepted_and_revoked_say_so_whatever_the_count(self) -> None:
        assert resend_refusal(S.ACCEPTED, 0, 3) is ResendRefusal.ACCEPTED
        assert resend_refusal(S.REVOKED, 9, 3) is ResendRefusal.REVOKED


class TestNewLink:
    def test_allowed_when_the_tenant_lets_people_ask_and_a_resend_is_left(self) -> None:
        assert new_link_allowed(Held())
        assert new_link_allowed(Held(status=S.PENDING, resend_count=2))
        assert new_link_refusal(Held(), NOW) is None

    def test_not_when_the_tenant_does_not_let_people_ask(self) -> None:
        held = Held(self_service_resend=False)
        assert not new_link_allowed(held)
        assert new_link_refusal(held, NOW) is ResendRefusal.NOT_ALLOWED

    @pytest.mark.parametrize(
        ("held", "reason"),
        [
            (Held(resend_count=3), ResendRefusal.LIMIT_REACHED),
            (Held(status=S.ACCEPTED), ResendRefusal.ACCEPTED),
            (Held(status=S.REVOKED), ResendRefusal.REVOKED),
        ],
    )
    def test_not_when_no_resend_is_possible(self, held: Held, reason: ResendRefusal) -> None:
        assert not new_link_allowed(held)
        assert new_link_refusal(held, NOW) is reason

    def test_too_soon_within_the_gap_of_the_last_link_sent(self) -> None:
        just_sent = Held(last_sent_at=NOW - NEW_LINK_GAP + timedelta(seconds=1))
        assert new_link_allowed(just_sent), "the page offers it; the request says wait"
        assert new_link_refusal(just_sent, NOW) is ResendRefusal.TOO_SOON
        assert new_link_refusal(Held(last_sent_at=NOW - NEW_LINK_GAP), NOW) is None

    def test_a_limit_reached_is_said_before_too_soon(self) -> None:
        held = Held(resend_count=3, last_sent_at=NOW)
        assert new_link_refusal(held, NOW) is ResendRefusal.LIMIT_REACHED

    def test_the_gap_is_ten_minutes(self) -> None:
        assert timedelta(minutes=10) == NEW_LINK_GAP


class TestReminderDue:
    def test_never_reminded(self) -> None:
        assert reminder_due(None, NOW)

    def test_not_within_an_hour_of_the_last_reminder(self) -> None:
        assert timedelta(hours=1) == REMINDER_GAP
        assert not reminder_due(NOW - timedelta(minutes=59), NOW)
        assert reminder_due(NOW - timedelta(hours=1), NOW)


@pytest.mark.parametrize("reason", list(ResendRefusal))
def test_every_resend_refusal_has_its_own_message(reason: ResendRefusal) -> None:
    message = resend_message(reason, max_resends=3)
    assert message
    assert message not in {resend_message(r, max_resends=3) for r in ResendRefusal if r != reason}


def test_the_limit_message_names_the_limit() -> None:
    assert "at most 3 times" in resend_message(ResendRefusal.LIMIT_REACHED, max_resends=3)
    assert "at most 1 time," in resend_message(ResendRefusal.LIMIT_REACHED, max_resends=1)


def test_the_new_link_message_never_shows_an_address() -> None:
    assert "email address" in new_link_message("email")
    assert "phone number" in new_link_message("sms")
    assert "@" not in new_link_message("email")
