"""Invitations as the enrolment service sees them: the view its events build, and who may
be sent a link again (a resend) or reminded.

The invitation service is the one judge of a link. What is checked here is what the
enrolment service knows better or sooner: a cancelled or registered person, one never
invited, a reminder asked for moments ago. A resend the invitation service refuses answers
with its own reason."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from enrolment.domain.messages import LINK_KINDS, MessageState
from enrolment.domain.statuses import EnrolmentStatus
from enrolment.errors import SendRefused


class InvitationStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    EXPIRED = "expired"
    REVOKED = "revoked"


# A link may be sent again (resend, reminder) only to these people: invited, and their
# link unused (pending), dead of old age (expired), or never delivered (failed).
SENDABLE = (EnrolmentStatus.INVITED, EnrolmentStatus.EXPIRED, EnrolmentStatus.FAILED)
OPEN_INVITATIONS = (InvitationStatus.PENDING, InvitationStatus.EXPIRED)
# Seed 001: no spam on double clicks.
REMINDER_QUIET_PERIOD = timedelta(hours=1)


class Refusal(StrEnum):
    """Why the enrolment service will not ask for a link to be sent (each answers 409)."""

    CANCELLED = "cancelled"
    REGISTERED = "registered"
    NOT_INVITED = "not_invited"
    TOO_SOON = "too_soon"


@dataclass(frozen=True)
class Sent:
    """One link of an invitation, as an InvitationIssued (or the answer to a resend)
    describes it."""

    enrolment_id: str
    invitation_id: str
    send_count: int
    resend_count: int
    reminder_count: int
    sent_at: datetime
    expires_at: datetime


def latest_sends(sends: list[Sent]) -> list[Sent]:
    """Of several links of one enrolment (a batch of events), only the latest: the earlier
    ones are dead already."""
    latest: dict[str, Sent] = {}
    for sent in sends:
        known = latest.get(sent.enrolment_id)
        if known is None or sent.send_count > known.send_count:
            latest[sent.enrolment_id] = sent
    return list(latest.values())


def is_newer(sent: Sent, stored_send_count: int | None) -> bool:
    """An InvitationIssued counts only when it is newer than the link the view knows."""
    return stored_send_count is None or sent.send_count > stored_send_count


def expiry_applies(expired_send_count: int, stored_send_count: int | None) -> bool:
    """An InvitationExpired counts only for the link the view knows: a newer one was sent
    since when it is lower, and the view has not heard of it yet when it is higher."""
    return stored_send_count == expired_send_count


@dataclass(frozen=True)
class CurrentLink:
    """The latest link of an enrolment's invitation the view knows."""

    invitation_id: str
    sent_at: datetime
    send_count: int


def carried_link(message: MessageState, link: CurrentLink | None) -> bool:
    """Whether this message carried the enrolment's current link: the same invitation and
    the same send count. (A notification event from before they named the link: each
    link's message is made after its InvitationIssued, so a message first heard of before
    the current link was sent carried an earlier one.)"""
    if link is None or message.kind not in LINK_KINDS:
        return False
    if message.invitation_id != link.invitation_id:
        return False
    if message.send_count is not None:
        return message.send_count == link.send_count
    return message.created_at >= link.sent_at


def check_can_send(
    status: EnrolmentStatus, *, registered: bool, invitation: InvitationStatus | None = None
) -> None:
    """Whether a link may be sent to this enrolment again at all (resend or reminder).
    `invitation`: the view's status of its invitation, which may know of a registration
    or a withdrawal before the enrolment does."""
    if status is EnrolmentStatus.CANCELLED or invitation is InvitationStatus.REVOKED:
        raise SendRefused(Refusal.CANCELLED, "the enrolment is cancelled")
    if (
        registered
        or status in (EnrolmentStatus.ACTIVE, EnrolmentStatus.PENDING_ACTIVATION)
        or invitation is InvitationStatus.ACCEPTED
    ):
        raise SendRefused(Refusal.REGISTERED, "the person has registered already")
    if status not in SENDABLE:
        raise SendRefused(Refusal.NOT_INVITED, "the person was never invited: invite them first")


def check_remindable(
    status: EnrolmentStatus,
    *,
    registered: bool,
    invitation: InvitationStatus | None,
    reminder_requested_at: datetime | None,
    now: datetime,
) -> None:
    """A reminder, on top of what any link needs: not within the hour of the last one."""
    check_can_send(status, registered=registered, invitation=invitation)
    if reminder_requested_at is not None and now - reminder_requested_at < REMINDER_QUIET_PERIOD:
        raise SendRefused(
            Refusal.TOO_SOON, "a reminder was asked for less than an hour ago: try again later"
        )
