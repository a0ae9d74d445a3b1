"""How an enrolment's status starts and moves, how an import ends, and the other small
rules: cohorts, cursors, export cells."""

from datetime import UTC, datetime

import pytest
from enrolment.domain.courses import CohortsOf
from enrolment.domain.cursors import decode_cursor, encode_cursor
from enrolment.domain.exports import csv_lines, spreadsheet_safe
from enrolment.domain.people import Person
from enrolment.domain.policy import InvitePolicy, resolve_policy
from enrolment.domain.statuses import (
    EnrolmentStatus,
    check_cancellable,
    check_invitable,
    import_status,
    new_enrolment,
    status_after_account_activated,
    status_after_delivery_failed,
    status_after_invitation_expired,
    status_after_invitation_issued,
)
from enrolment.errors import EnrolmentStateConflict, InvalidEnrolment
from onboarding_kit.errors import Conflict

ADA = Person(email="ada@example.org", name="Ada", external_id="1")


@pytest.mark.parametrize(
    ("enrolled", "failed", "expected"),
    [
        (5, 0, "completed"),
        (0, 0, "completed"),
        (3, 2, "completed_with_errors"),
        (0, 4, "failed"),
    ],
)
def test_import_status(enrolled: int, failed: int, expected: str) -> None:
    assert import_status(enrolled, failed) == expected


S = EnrolmentStatus
# current status: (after InvitationIssued, after InvitationExpired, after AccountActivated,
# after the delivery of its current link failed)
TRANSITIONS = {
    S.ENROLLED: (S.INVITED, S.ENROLLED, S.ACTIVE, S.ENROLLED),
    S.EXPIRED: (S.INVITED, S.EXPIRED, S.ACTIVE, S.EXPIRED),
    S.INVITED: (S.INVITED, S.EXPIRED, S.ACTIVE, S.FAILED),
    S.FAILED: (S.INVITED, S.FAILED, S.ACTIVE, S.FAILED),
    S.PENDING_ACTIVATION: (
        S.PENDING_ACTIVATION,
        S.PENDING_ACTIVATION,
        S.ACTIVE,
        S.PENDING_ACTIVATION,
    ),
    S.ACTIVE: (S.ACTIVE, S.ACTIVE, S.ACTIVE, S.ACTIVE),
    S.CANCELLED: (S.CANCELLED, S.CANCELLED, S.CANCELLED, S.CANCELLED),
}


@pytest.mark.parametrize("current", list(EnrolmentStatus))
def test_how_events_move_an_enrolment(current: EnrolmentStatus) -> None:
    after_issued, after_expired, after_activated, after_failed = TRANSITIONS[current]
    assert status_after_invitation_issued(current) is after_issued
    assert status_after_invitation_expired(current) is after_expired
    assert status_after_account_activated(current) is after_activated
    assert status_after_delivery_failed(current) is after_failed


def test_someone_with_an_account_starts_active_and_is_not_invited() -> None:
    known = new_enrolment("e-1", ADA, InvitePolicy.AUTO, "acc-1")
    assert (known.status, known.account_id, known.invite) == (
        EnrolmentStatus.ACTIVE,
        "acc-1",
        False,
    )
    stranger = new_enrolment("e-2", ADA, InvitePolicy.AUTO, None)
    assert (stranger.status, stranger.invite) == (EnrolmentStatus.ENROLLED, True)
    by_hand = new_enrolment("e-3", ADA, InvitePolicy.MANUAL, None)
    assert (by_hand.status, by_hand.invite) == (EnrolmentStatus.ENROLLED, False)


def test_a_request_may_override_the_tenant_policy() -> None:
    assert resolve_policy(InvitePolicy.AUTO, None) is InvitePolicy.AUTO
    assert resolve_policy(InvitePolicy.AUTO, InvitePolicy.MANUAL) is InvitePolicy.MANUAL


def test_only_an_enrolled_person_not_yet_asked_for_can_be_invited_by_hand() -> None:
    check_invitable(EnrolmentStatus.ENROLLED, invitation_requested=False)
    with pytest.raises(EnrolmentStateConflict, match="already requested"):
        check_invitable(EnrolmentStatus.ENROLLED, invitation_requested=True)
    for status in set(EnrolmentStatus) - {EnrolmentStatus.ENROLLED}:
        with pytest.raises(EnrolmentStateConflict, match=status.value) as caught:
            check_invitable(status, invitation_requested=False)
        assert isinstance(caught.value, Conflict) and caught.value.status == 409


def test_an_enrolment_is_cancelled_once() -> None:
    for status in set(EnrolmentStatus) - {EnrolmentStatus.CANCELLED}:
        check_cancellable(status)
    with pytest.raises(EnrolmentStateConflict):
        check_cancellable(EnrolmentStatus.CANCELLED)


def test_an_enrolment_names_a_cohort_of_its_course_or_none() -> None:
    cohorts = CohortsOf("ielts", frozenset({"spring"}))
    for fine in ("spring", None, ""):
        cohorts.check(fine)
    with pytest.raises(InvalidEnrolment) as caught:
        cohorts.check("autumn")
    assert caught.value.field == "cohort"
    assert caught.value.reason == "unknown cohort 'autumn' in course 'ielts'"


def test_a_cursor_comes_back_as_the_place_it_names() -> None:
    at = datetime(2026, 3, 1, 9, 30, 0, 123456, tzinfo=UTC)
    assert decode_cursor(encode_cursor(at, "e-1")) == (at, "e-1")
    with pytest.raises(InvalidEnrolment) as caught:
        decode_cursor("garbage")
    assert caught.value.field == "cursor"


def test_export_cells_never_run_as_formulas() -> None:
    at = datetime(2026, 3, 1, tzinfo=UTC)
    assert [spreadsheet_safe(v) for v in ("=1+1", "+1", "-1", "@x", "plain", None, 3, at)] == [
        "'=1+1",
        "'+1",
        "'-1",
        "'@x",
        "plain",
        "",
        "3",
        "2026-03-01T00:00:00+00:00",
    ]
    assert csv_lines([("a", "=b"), (1, None)]) == "a,'=b\r\n1,\r\n"
