"""Notification ids: name-based, so the same message always gets the same id."""

import uuid


def notification_id(invitation_id: str, send_count: int) -> str:
    """Stable per link (a version 5 UUID of the invitation and its send count), so a
    republished InvitationIssued maps to the same notification and is not sent twice."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{invitation_id}/{send_count}"))


def welcome_id(account_id: str) -> str:
    """Stable per account: one welcome mail each, however often its activation is seen."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"welcome/{account_id}"))
