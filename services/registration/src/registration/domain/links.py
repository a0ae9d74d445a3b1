"""Invitation links as this service sees them: never stored, only their hash; judged by
the invitation service alone."""

import hashlib

INCOMPLETE_LINK = "This link is incomplete: open the link from your invitation email again."
MALFORMED_LINK = (
    "This invitation link is not valid. Open the link from your invitation email again, "
    "or copy the whole address into your browser."
)

USED_LINK = "This invitation link has already been used. Sign in with the account you created."


def link_hash(token: str) -> bytes:
    """What a reservation remembers of the link it was made with (SHA-256), so that the
    same registration sent again after a lost answer finds it."""
    return hashlib.sha256(token.encode()).digest()
