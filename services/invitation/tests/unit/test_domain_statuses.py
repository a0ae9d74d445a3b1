"""Why a link may be refused, and what the person who opened it is told."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from invitation.domain.statuses import (
    NEW_LINK_MESSAGES,
    REFUSAL_MESSAGES,
    InvitationStatus,
    refusal,
    refusal_message,
    replaced_refusal,
)
from onboarding_contracts.internal.invitations import LinkRefusal

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=1)


class TestRefusal:
    def test_pending_and_unexpired_may_be_used(self) -> None:
        assert refusal(InvitationStatus.PENDING, LATER, NOW) is None

    def test_pending_one_microsecond_before_expiry_may_be_used(self) -> None:
        assert refusal(InvitationStatus.PENDING, NOW, NOW - timedelta(microseconds=1)) is None

    def test_accepted_is_used(self) -> None:
        assert refusal(InvitationStatus.ACCEPTED, LATER, NOW) is LinkRefusal.USED

    def test_revoked(self) -> None:
        assert refusal(InvitationStatus.REVOKED, LATER, NOW) is LinkRefusal.REVOKED

    def test_expired_by_status_even_before_its_time(self) -> None:
        assert refusal(InvitationStatus.EXPIRED, LATER, NOW) is LinkRefusal.EXPIRED

    def test_expired_exactly_at_expiry(self) -> None:
        assert refusal(InvitationStatus.PENDING, NOW, NOW) is LinkRefusal.EXPIRED

    def test_expired_after_expiry_though_no_sweeper_ran(self) -> None:
        assert (
            refusal(InvitationStatus.PENDING, NOW, NOW + timedelta(seconds=1))
            is LinkRefusal.EXPIRED
        )

    def test_used_wins_over_expired(self) -> None:
        # An accepted link whose time has since passed still says "already used".
        assert refusal(InvitationStatus.ACCEPTED, NOW, LATER) is LinkRefusal.USED

    def test_revoked_wins_over_expired(self) -> None:
        assert refusal(InvitationStatus.REVOKED, NOW, LATER) is LinkRefusal.REVOKED

    def test_timezones_are_compared_as_instants(self) -> None:
        other_zone = NOW.astimezone(timezone(timedelta(hours=5)))
        assert refusal(InvitationStatus.PENDING, other_zone, NOW) is LinkRefusal.EXPIRED


@pytest.mark.parametrize("reason", list(LinkRefusal))
def test_every_refusal_of_the_contract_has_a_distinct_message(reason: LinkRefusal) -> None:
    message = REFUSAL_MESSAGES[reason]
    assert message
    others = {REFUSAL_MESSAGES[r] for r in LinkRefusal if r is not reason}
    assert message not in others


class TestReplacedRefusal:
    @pytest.mark.parametrize("status", [InvitationStatus.PENDING, InvitationStatus.EXPIRED])
    def test_a_replaced_link_of_a_live_invitation_is_replaced(self, status) -> None:
        assert replaced_refusal(status) is LinkRefusal.REPLACED

    def test_once_the_invitation_was_used_or_withdrawn_that_is_what_counts(self) -> None:
        assert replaced_refusal(InvitationStatus.ACCEPTED) is LinkRefusal.USED
        assert replaced_refusal(InvitationStatus.REVOKED) is LinkRefusal.REVOKED


class TestRefusalMessage:
    def test_says_what_happens_next(self) -> None:
        assert "administrator" in refusal_message(LinkRefusal.EXPIRED)
        assert "most recent" in refusal_message(LinkRefusal.REPLACED)

    @pytest.mark.parametrize("reason", [LinkRefusal.EXPIRED, LinkRefusal.REPLACED])
    def test_points_at_the_button_when_a_new_link_may_be_asked_for(self, reason) -> None:
        offered = refusal_message(reason, new_link_allowed=True)
        assert offered == NEW_LINK_MESSAGES[reason] != REFUSAL_MESSAGES[reason]
        assert "new link below" in offered

    @pytest.mark.parametrize("reason", [LinkRefusal.USED, LinkRefusal.REVOKED])
    def test_never_for_a_link_that_is_gone_for_good(self, reason) -> None:
        assert refusal_message(reason, new_link_allowed=True) == REFUSAL_MESSAGES[reason]
