"""What an invitation message says. Rendering only: no sending, no I/O."""

from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

_templates = Environment(
    loader=PackageLoader("notification", "templates"),
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


def render_invitation_email(message: InvitationMessage, sender: str) -> EmailMessage:
    context = {
        "name": message.name,
        "course": message.course,
        "link": message.link,
        "expires_at": message.expires_at.strftime("%d %B %Y at %H:%M UTC"),
    }
    email = EmailMessage()
    email["Subject"] = _templates.get_template("invitation.subject.j2").render(context).strip()
    email["From"] = sender
    email["To"] = formataddr((message.name, message.recipient))
    # The notification id in the Message-ID lets a receiver drop a re-sent duplicate.
    email["Message-ID"] = make_msgid(idstring=message.notification_id, domain="onboarding.local")
    email["X-Notification-Id"] = message.notification_id
    email.set_content(_templates.get_template("invitation.txt.j2").render(context))
    email.add_alternative(
        _templates.get_template("invitation.html.j2").render(context), subtype="html"
    )
    return email
