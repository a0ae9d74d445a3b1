"""What an invitation email says: the templates under `templates/`, filled in."""

from dataclasses import dataclass
from datetime import datetime

from onboarding_contracts.events import SendReason

from notification.domain.mime import EmailContent, OutgoingEmail, write_alternative_email
from notification.domain.rendering import render_content


@dataclass(frozen=True)
class InvitationMessage:
    notification_id: str
    recipient: str
    name: str
    course: str
    link: str
    expires_at: datetime
    # A resend says it replaces the earlier link; a reminder that the person has not
    # registered yet. Both carry a fresh link: every earlier one is dead.
    reason: SendReason = "invitation"
    # The sign-in name when it is fixed already (credentials, or email usernames), and
    # whether the link only sets a password (credentials were sent).
    username: str | None = None
    set_password: bool = False


def invitation_content(message: InvitationMessage) -> EmailContent:
    context = {
        "name": message.name,
        "course": message.course,
        "link": message.link,
        "expires_at": message.expires_at.strftime("%d %B %Y at %H:%M UTC"),
        "reason": message.reason,
        "username": message.username,
        "set_password": message.set_password,
    }
    return render_content("invitation", context)


def render_invitation_email(message: InvitationMessage, sender: str) -> OutgoingEmail:
    """The invitation, from `sender`, as the bytes sent over SMTP."""
    return write_alternative_email(
        message_id=message.notification_id,
        sender=sender,
        recipient=message.recipient,
        recipient_name=message.name,
        content=invitation_content(message),
        kind="invitation",
    )
