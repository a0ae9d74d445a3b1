"""An invitation's states, and why its link may not be used, in words a person reads."""

from datetime import datetime
from enum import StrEnum

from onboarding_contracts.internal.invitations import LinkRefusal


class InvitationStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    EXPIRED = "expired"
    REVOKED = "revoked"


# Shown to the person who opened the link (the registration service displays them as they
# are), so each says what they can do about it.
REFUSAL_MESSAGES: dict[LinkRefusal, str] = {
    LinkRefusal.UNKNOWN: "This invitation link is not valid. It may have been replaced by a "
    "newer one: use the link in the most recent invitation you received.",
    LinkRefusal.EXPIRED: "This invitation link has expired. Ask your administrator to send "
    "you a new invitation.",
    LinkRefusal.USED: "This invitation link has already been used. Sign in with the account "
    "you created.",
    LinkRefusal.REVOKED: "This invitation was withdrawn by your administrator.",
}


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
