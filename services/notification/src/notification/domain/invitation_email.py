"""What an invitation email says: the templates under `templates/`, filled in."""

from dataclasses import dataclass
from datetime import datetime

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

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


def invitation_content(message: InvitationMessage) -> EmailContent:
    context = {
        "name": message.name,
        "course": message.course,
        "link": message.link,
        "expires_at": message.expires_at.strftime("%d %B %Y at %H:%M UTC"),
    }
    return EmailContent(
        subject=_templates.get_template("invitation.subject.j2").render(context).strip(),
        text=_templates.get_template("invitation.txt.j2").render(context),
        html=_templates.get_template("invitation.html.j2").render(context),
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
