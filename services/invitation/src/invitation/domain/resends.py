"""When an invitation's link may be replaced by a new one: an admin's resend, a reminder,
or the person's own request from the page of a dead link.

The store's compare-and-set applies these rules in one UPDATE (so concurrent requests
cannot both pass them); the functions here say why a request did not pass, and decide
before it is tried what a person may ask for."""

from datetime import datetime, timedelta
from typing import Protocol

from onboarding_contracts.internal.invitations import ResendRefusal

from invitation.domain.statuses import InvitationStatus

# Never remind a person twice within this (no spam on double clicks, or on a schedule and
# an admin's click at the same moment). Reminders do not count against `max_resends`.
REMINDER_GAP = timedelta(hours=1)
# A person may not have a new link sent more often than this: the last one may still be on
# its way.
NEW_LINK_GAP = timedelta(minutes=10)


class Resendable(Protocol):
    """What the rules read of an invitation."""

    @property
    def status(self) -> InvitationStatus: ...
    @property
    def resend_count(self) -> int: ...
    @property
    def max_resends(self) -> int: ...
    @property
    def self_service_resend(self) -> bool: ...
    @property
    def last_sent_at(self) -> datetime: ...


def resend_refusal(
    status: InvitationStatus, resend_count: int, max_resends: int
) -> ResendRefusal | None:
    """Why an invitation in this state cannot be resent, or None when it can."""
    if status is InvitationStatus.ACCEPTED:
        return ResendRefusal.ACCEPTED
    if status is InvitationStatus.REVOKED:
        return ResendRefusal.REVOKED
    if resend_count >= max_resends:
        return ResendRefusal.LIMIT_REACHED
    return None  # pending or expired: the RESENDABLE states


def new_link_allowed(invitation: Resendable) -> bool:
    """Whether the page of a dead link may offer the person a new one: the tenant lets
    people ask (under the policy the link was sent with), and a resend is still possible."""
    return invitation.self_service_resend and (
        resend_refusal(invitation.status, invitation.resend_count, invitation.max_resends) is None
    )


def new_link_refusal(invitation: Resendable, now: datetime) -> ResendRefusal | None:
    """Why the person may not have a new link sent now, or None when they may. A limit
    reached is said before "too soon": waiting would not help."""
    if not invitation.self_service_resend:
        return ResendRefusal.NOT_ALLOWED
    refused = resend_refusal(invitation.status, invitation.resend_count, invitation.max_resends)
    if refused is not None:
        return refused
    if invitation.last_sent_at > now - NEW_LINK_GAP:
        return ResendRefusal.TOO_SOON
    return None


def reminder_due(last_reminded_at: datetime | None, now: datetime) -> bool:
    return last_reminded_at is None or last_reminded_at <= now - REMINDER_GAP


def resend_message(reason: ResendRefusal, *, max_resends: int) -> str:
    """What an admin, or the person, is told of a refused resend."""
    minutes = int(NEW_LINK_GAP.total_seconds() // 60)
    return {
        ResendRefusal.NOT_ISSUED: "No invitation has been sent for this enrolment yet: its "
        "first link is sent as soon as the enrolment is processed.",
        ResendRefusal.ACCEPTED: "This invitation was already accepted: the person has "
        "registered, so no new link is sent.",
        ResendRefusal.REVOKED: "This invitation was withdrawn (its enrolment was cancelled), "
        "so no new link is sent.",
        ResendRefusal.LIMIT_REACHED: "No new link can be sent: this invitation may be resent "
        f"at most {max_resends} time{'s' if max_resends != 1 else ''}, and it has been. An "
        "administrator can raise the limit in the organisation's settings.",
        ResendRefusal.NOT_ALLOWED: "A new link cannot be requested from this page. Please ask "
        "your administrator to resend your invitation.",
        ResendRefusal.TOO_SOON: f"A new link was sent less than {minutes} minutes ago. Check "
        "your inbox (and your spam folder) before asking again.",
    }[reason]


def new_link_message(channel: str) -> str:
    """What the person who asked for a new link is told: where it went, in words that never
    show the address (whoever holds an old link may be someone else)."""
    where = "by text message to the phone number" if channel == "sms" else "to the email address"
    return (
        f"A new link is on its way {where} your invitation was sent to. It replaces every "
        "earlier link: use the one in the newest message."
    )
