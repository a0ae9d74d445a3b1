"""Invitation rules: tokens, links, expiry, and why a link may not be used. No I/O."""

import hashlib
from datetime import datetime, timedelta
from enum import StrEnum
from urllib.parse import urlencode

TOKEN_BYTES = 32  # 256 bits, from `secrets`
DEFAULT_TTL = timedelta(hours=24)  # seed 002: "Each link is active for 24 hours"


class InvitationStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    EXPIRED = "expired"
    REVOKED = "revoked"


class LinkRefusal(StrEnum):
    """Why a link cannot be used; each has a message a person can act on."""

    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED = "used"
    REVOKED = "revoked"

    @property
    def message(self) -> str:
        return {
            LinkRefusal.UNKNOWN: "This invitation link is not valid. It may have been replaced "
            "by a newer one: use the link in the most recent invitation you received.",
            LinkRefusal.EXPIRED: "This invitation link has expired. Ask your administrator to "
            "send you a new invitation.",
            LinkRefusal.USED: "This invitation link has already been used. Sign in with the "
            "account you created.",
            LinkRefusal.REVOKED: "This invitation was withdrawn by your administrator.",
        }[self]


def hash_token(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def accept_link(registration_url: str, token: str) -> str:
    return f"{registration_url.rstrip('/')}/join?{urlencode({'token': token})}"


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
