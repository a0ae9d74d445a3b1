"""Notification ids."""

import uuid


def notification_id(invitation_id: str, send_count: int) -> str:
    """Stable per link (a version 5 UUID of the invitation and its send count), so a
    republished InvitationIssued maps to the same notification and is not sent twice."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{invitation_id}/{send_count}"))
