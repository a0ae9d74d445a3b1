"""An invitation's states, and why its link may not be used, in words a person reads."""

from datetime import datetime
from enum import StrEnum

from onboarding_contracts.internal.invitations import LinkRefusal


class InvitationStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    EXPIRED = "expired"
    REVOKED = "revoked"


# The states a resend or a reminder may bring a new link to (and back to pending).
RESENDABLE = frozenset({InvitationStatus.PENDING, InvitationStatus.EXPIRED})

# Shown to the person who opened the link (the registration service displays them as they
# are), so each says what they can do about it, and what happens next.
REFUSAL_MESSAGES: dict[LinkRefusal, str] = {
    LinkRefusal.UNKNOWN: "This invitation link is not valid. Check that you opened the whole "
    "link from your invitation message, or copy it into your browser again.",
    LinkRefusal.EXPIRED: "This invitation link has expired. Ask your administrator to send "
    "you a new invitation.",
    LinkRefusal.USED: "This invitation link has already been used. Sign in with the account "
    "you created.",
    LinkRefusal.REVOKED: "This invitation was withdrawn by your administrator.",
    LinkRefusal.REPLACED: "A newer invitation link was sent to you, and this one stopped "
    "working when it was. Use the link in the most recent message you received.",
}

# The same, when the person may ask for a new link from the page (the tenant lets them, and
# the invitation can still be resent): the page shows the button these point to.
NEW_LINK_MESSAGES: dict[LinkRefusal, str] = {
    LinkRefusal.EXPIRED: "This invitation link has expired. You can ask for a new link "
    "below: it is sent to you, and replaces this one.",
    LinkRefusal.REPLACED: "A newer invitation link was sent to you, and this one stopped "
    "working when it was. Use the link in the most recent message you received, or ask for "
    "a new link below.",
}


def refusal_message(reason: LinkRefusal, *, new_link_allowed: bool = False) -> str:
    if new_link_allowed and reason in NEW_LINK_MESSAGES:
        return NEW_LINK_MESSAGES[reason]
    return REFUSAL_MESSAGES[reason]


def refusal(status: InvitationStatus, expires_at: datetime, now: datetime) -> LinkRefusal | None:
    """None when the link may be used now. Expiry is judged here, at use time, whatever a
    sweeper has or has not done yet."""
    if status is InvitationStatus.ACCEPTED:
        return LinkRefusal.USED
    if status is InvitationStatus.REVOKED:
        return LinkRefusal.REVOKED
    if status is InvitationStatus.EXPIRED or expires_at <= now:
        return LinkRefusal.EXPIRED
    return None


def replaced_refusal(status: InvitationStatus) -> LinkRefusal:
    """Why a link a newer one replaced is refused. Once the invitation itself was used or
    withdrawn, that is what the person needs to know, not which link is the newest."""
    if status is InvitationStatus.ACCEPTED:
        return LinkRefusal.USED
    if status is InvitationStatus.REVOKED:
        return LinkRefusal.REVOKED
    return LinkRefusal.REPLACED
