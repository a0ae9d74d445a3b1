"""What an invitation email says: the templates under `templates/`, filled in."""

from dataclasses import dataclass
from datetime import datetime

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from onboarding_contracts.events import SendReason

from notification.domain.mime import EmailContent, OutgoingEmail, write_alternative_email

_templates = Environment(
    loader=PackageLoader("notification.domain", "templates"),
    autoescape=select_autoescape(["html", "html.j2"]),
    undefined=StrictUndefined,
    keep_trailing_newline=True,
)


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


def invitation_content(message: InvitationMessage) -> EmailContent:
    context = {
        "name": message.name,
        "course": message.course,
        "link": message.link,
        "expires_at": message.expires_at.strftime("%d %B %Y at %H:%M UTC"),
        "reason": message.reason,
    }
    subject = _templates.get_template("invitation.subject.j2").render(context).strip()
    return EmailContent(
        subject=subject,
        text=_templates.get_template("invitation.txt.j2").render(context),
        # The HTML escapes the subject in its title: the subject template itself is text.
        html=_templates.get_template("invitation.html.j2").render(context, subject=subject),
    )


def render_invitation_email(message: InvitationMessage, sender: str) -> OutgoingEmail:
    """The invitation, from `sender`, as the bytes sent over SMTP."""
    return write_alternative_email(
        message_id=message.notification_id,
        sender=sender,
        recipient=message.recipient,
        recipient_name=message.name,
        content=invitation_content(message),
    )
