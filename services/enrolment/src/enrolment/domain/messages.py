"""The messages sent to a person, as the notification service's events tell them: each
message's state only ever moves forward, whatever order or how often its events come."""

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from onboarding_contracts.events import Channel, MessageKind

# The messages that carry a link: whether they reach the person decides the enrolment's
# status. A welcome (the account is open) never does.
LINK_KINDS: frozenset[MessageKind] = frozenset({"invitation", "resend", "reminder", "credentials"})


class MessageStatus(StrEnum):
    RETRYING = "retrying"  # a try failed for a reason that passes; another one is due
    SENT = "sent"  # the mail server or the SMS provider took it
    DELIVERED = "delivered"  # the provider reported it on the person's phone
    FAILED = "failed"  # refused, or given up, for good
    UNDELIVERED = "undelivered"  # taken by the provider, who could not deliver it


# How far along each status is: a message never moves to a lower rank, nor between two
# statuses of the last one (the first outcome stands).
_RANK = {
    MessageStatus.RETRYING: 0,
    MessageStatus.SENT: 1,
    MessageStatus.DELIVERED: 2,
    MessageStatus.FAILED: 2,
    MessageStatus.UNDELIVERED: 2,
}
GIVEN_UP = frozenset({MessageStatus.FAILED, MessageStatus.UNDELIVERED})


@dataclass(frozen=True)
class MessageReport:
    """What one notification event says of its message."""

    notification_id: str
    invitation_id: str
    enrolment_id: str
    kind: MessageKind
    channel: Channel
    status: MessageStatus
    at: datetime  # the event's time
    send_count: int | None = None  # which link (None: a welcome, or an older event)
    attempts: int | None = None
    provider_id: str | None = None
    error: str | None = None
    sent_at: datetime | None = None
    delivered_at: datetime | None = None
    failed_at: datetime | None = None
    next_attempt_at: datetime | None = None


@dataclass(frozen=True)
class MessageState:
    """A message as its events so far tell it."""

    notification_id: str
    invitation_id: str
    send_count: int | None
    enrolment_id: str
    kind: MessageKind
    channel: Channel
    status: MessageStatus
    attempts: int
    provider_id: str | None
    last_error: str | None
    created_at: datetime  # the time of its earliest event seen
    sent_at: datetime | None
    delivered_at: datetime | None
    failed_at: datetime | None
    next_attempt_at: datetime | None

    @property
    def given_up(self) -> bool:
        return self.status in GIVEN_UP


def _moves_forward(stored: MessageState, report: MessageReport) -> bool:
    if _RANK[report.status] > _RANK[stored.status]:
        return True
    # Another temporary failure: a later try than the one stored.
    return (
        report.status is stored.status is MessageStatus.RETRYING
        and (report.attempts or 0) > stored.attempts
    )


def message_after(stored: MessageState | None, report: MessageReport) -> MessageState | None:
    """The message once `report` is applied; None when it changes nothing (a duplicate, or
    news older than what is known)."""
    if stored is None:
        return MessageState(
            notification_id=report.notification_id,
            invitation_id=report.invitation_id,
            send_count=report.send_count,
            enrolment_id=report.enrolment_id,
            kind=report.kind,
            channel=report.channel,
            status=report.status,
            attempts=report.attempts or 0,
            provider_id=report.provider_id,
            last_error=report.error,
            created_at=report.at,
            sent_at=report.sent_at,
            delivered_at=report.delivered_at,
            failed_at=report.failed_at,
            next_attempt_at=report.next_attempt_at,
        )
    if not _moves_forward(stored, report):
        if report.at < stored.created_at:
            # An earlier event, late: the message is older than known, nothing else moves.
            return replace(stored, created_at=report.at)
        return None
    return replace(
        stored,
        status=report.status,
        send_count=stored.send_count or report.send_count,
        attempts=max(stored.attempts, report.attempts or 0),
        provider_id=report.provider_id or stored.provider_id,
        last_error=report.error or stored.last_error,
        created_at=min(stored.created_at, report.at),
        sent_at=stored.sent_at or report.sent_at,
        delivered_at=stored.delivered_at or report.delivered_at,
        failed_at=stored.failed_at or report.failed_at,
        # Only a message still being retried has a next try.
        next_attempt_at=report.next_attempt_at,
    )
