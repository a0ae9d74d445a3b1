"""Why a link may be refused, and what the person who opened it is told."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from invitation.domain.statuses import REFUSAL_MESSAGES, InvitationStatus, refusal
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
