"""The messages to a person: each one's state moves only forward, whatever order or how
often its events come; and which given-up message fails an invited enrolment."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest
from enrolment.domain.invitations import SENDABLE, CurrentLink, carried_link
from enrolment.domain.messages import MessageReport, MessageState, MessageStatus, message_after
from enrolment.domain.statuses import CREDENTIALS_FROM, EnrolmentStatus
from onboarding_contracts.events import MessageKind

M = MessageStatus
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def report(
    status: MessageStatus, minutes: int = 0, *, kind: str = "invitation", **fields: Any
) -> MessageReport:
    return MessageReport(
        notification_id="n-1",
        invitation_id="inv-1",
        enrolment_id="enr-1",
        kind=cast(MessageKind, kind),
        channel="sms",
        status=status,
        at=T0 + timedelta(minutes=minutes),
        **fields,
    )


def apply(*reports: MessageReport) -> MessageState:
    state: MessageState | None = None
    for r in reports:
        state = message_after(state, r) or state
    assert state is not None
    return state


def test_a_message_goes_from_retrying_to_sent_to_delivered_keeping_what_each_event_said() -> None:
    retry_at = T0 + timedelta(minutes=5)
    state = apply(
        report(M.RETRYING, 0, attempts=1, error="421 try later", next_attempt_at=retry_at),
        report(M.RETRYING, 5, attempts=2, error="timeout", next_attempt_at=retry_at),
        report(M.SENT, 10, attempts=3, provider_id="SM1", sent_at=T0 + timedelta(minutes=10)),
        report(M.DELIVERED, 11, delivered_at=T0 + timedelta(minutes=11)),
    )
    assert state.status is M.DELIVERED
    assert (state.attempts, state.provider_id, state.last_error) == (3, "SM1", "timeout")
    assert state.created_at == T0, "the time of the first event"
    assert state.sent_at == T0 + timedelta(minutes=10)
    assert state.delivered_at == T0 + timedelta(minutes=11)
    assert state.next_attempt_at is None, "no next try once it is sent"


@pytest.mark.parametrize(
    ("first", "later"),
    [
        (M.SENT, M.RETRYING),
        (M.DELIVERED, M.SENT),
        (M.DELIVERED, M.RETRYING),
        (M.FAILED, M.SENT),
        (M.UNDELIVERED, M.RETRYING),
        (M.DELIVERED, M.FAILED),
        (M.FAILED, M.DELIVERED),
        (M.UNDELIVERED, M.DELIVERED),
    ],
)
def test_a_later_event_never_moves_a_message_back_nor_from_one_outcome_to_another(
    first: MessageStatus, later: MessageStatus
) -> None:
    stored = apply(report(first, 0, attempts=1))
    assert message_after(stored, report(later, 5, attempts=1)) is None


def test_a_duplicate_changes_nothing() -> None:
    for status in M:
        once = report(status, 3, attempts=2, error="e")
        assert message_after(apply(once), once) is None


def test_a_retry_counts_only_when_it_is_a_later_try() -> None:
    stored = apply(report(M.RETRYING, 5, attempts=2))
    assert message_after(stored, report(M.RETRYING, 6, attempts=2)) is None
    assert message_after(stored, report(M.RETRYING, 6, attempts=1)) is None
    later = message_after(stored, report(M.RETRYING, 9, attempts=3))
    assert later is not None and later.attempts == 3


def test_an_earlier_event_that_comes_late_only_makes_the_message_older() -> None:
    stored = apply(report(M.SENT, 10, attempts=2, sent_at=T0))
    moved = message_after(stored, report(M.RETRYING, 2, attempts=1))
    assert moved == replace(stored, created_at=T0 + timedelta(minutes=2))


def test_a_failure_reports_its_reason_and_when() -> None:
    failed_at = T0 + timedelta(minutes=7)
    state = apply(report(M.SENT, 0), report(M.UNDELIVERED, 7, error="30003", failed_at=failed_at))
    assert (state.status, state.last_error, state.failed_at) == (M.UNDELIVERED, "30003", failed_at)
    assert state.given_up


LINK = CurrentLink("inv-1", sent_at=T0, send_count=2)


def test_a_message_naming_its_link_carried_the_current_one_only_if_it_is_that_link() -> None:
    message = replace(apply(report(M.FAILED, 1)), send_count=2)
    assert carried_link(message, LINK)
    assert not carried_link(replace(message, send_count=1), LINK), "an earlier link"
    assert not carried_link(replace(message, invitation_id="inv-2"), LINK)
    # Named, the link decides, not the times: even a message first heard of before.
    assert carried_link(replace(message, created_at=T0 - timedelta(hours=1)), LINK)


def test_an_older_message_not_naming_its_link_is_judged_by_when_it_was_heard_of() -> None:
    message = apply(report(M.FAILED, 1))
    assert carried_link(message, LINK)
    assert carried_link(replace(message, created_at=T0), LINK), "at the same instant"
    assert not carried_link(message, None), "no link known yet"
    assert not carried_link(replace(message, invitation_id="inv-2"), LINK)
    earlier = replace(message, created_at=T0 - timedelta(seconds=1))
    assert not carried_link(earlier, LINK), "a message of an earlier link"


@pytest.mark.parametrize("kind", ["invitation", "resend", "reminder", "credentials"])
def test_every_message_with_a_link_counts_a_welcome_never(kind: str) -> None:
    message = apply(report(M.FAILED, 1, kind=kind))
    assert carried_link(message, LINK)
    assert not carried_link(replace(message, kind="welcome"), LINK)


def test_a_failed_person_may_be_sent_a_link_again() -> None:
    assert EnrolmentStatus.FAILED in SENDABLE
    assert EnrolmentStatus.FAILED in CREDENTIALS_FROM
