"""What the welcome email says once an account may sign in: the username and where to sign
in. Never a password: the person chose it, and no message ever carries one."""

from dataclasses import dataclass

from notification.domain.mime import EmailContent, OutgoingEmail, write_alternative_email
from notification.domain.rendering import render_content


@dataclass(frozen=True)
class WelcomeMessage:
    notification_id: str
    recipient: str
    # Both from AccountActivated, where older events lack them: the mail then greets
    # without a name, and tells the person to sign in with their email address.
    username: str | None
    first_name: str | None
    sign_in_url: str


def welcome_content(message: WelcomeMessage) -> EmailContent:
    return render_content(
        "welcome",
        {
            "first_name": message.first_name or "",
            "username": message.username or "",
            "email": message.recipient,
            "sign_in_url": message.sign_in_url,
        },
    )


def render_welcome_email(message: WelcomeMessage, sender: str) -> OutgoingEmail:
    """The welcome, from `sender`, as the bytes sent over SMTP."""
    return write_alternative_email(
        message_id=message.notification_id,
        sender=sender,
        recipient=message.recipient,
        recipient_name=message.first_name or "",
        content=welcome_content(message),
        kind="welcome",
    )
