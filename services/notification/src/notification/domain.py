"""What an invitation message says. Rendering only: no sending, no I/O."""

import base64
from dataclasses import dataclass
from datetime import datetime
from email.header import Header
from email.utils import formataddr, formatdate, parseaddr

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


@dataclass(frozen=True)
class OutgoingEmail:
    """A message ready for SMTP: the envelope and the RFC 5322 bytes."""

    sender: str
    recipient: str
    data: bytes


def render_invitation_email(message: InvitationMessage, sender: str) -> OutgoingEmail:
    """The invitation as a multipart/alternative message (plain text, then HTML).

    The MIME structure is written directly rather than through `email.message`, which costs
    some twenty times more per message; both parts are UTF-8 in base64, and headers with
    non-ASCII text are RFC 2047 encoded."""
    context = {
        "name": message.name,
        "course": message.course,
        "link": message.link,
        "expires_at": message.expires_at.strftime("%d %B %Y at %H:%M UTC"),
    }
    subject = _templates.get_template("invitation.subject.j2").render(context).strip()
    text = _templates.get_template("invitation.txt.j2").render(context)
    html = _templates.get_template("invitation.html.j2").render(context)
    boundary = f"=_{message.notification_id}"
    headers = [
        f"From: {formataddr(parseaddr(sender))}",
        f"To: {formataddr((message.name, message.recipient))}",
        f"Subject: {_header_text(subject)}",
        f"Date: {formatdate(usegmt=True)}",
        # The notification id in the Message-ID lets a receiver drop a re-sent duplicate.
        f"Message-ID: <{message.notification_id}@onboarding.local>",
        f"X-Notification-Id: {message.notification_id}",
        "MIME-Version: 1.0",
        f'Content-Type: multipart/alternative; boundary="{boundary}"',
    ]
    body = [
        *(_part(boundary, kind, content) for kind, content in (("plain", text), ("html", html))),
        f"--{boundary}--",
    ]
    document = "\r\n".join(headers) + "\r\n\r\n" + "\r\n".join(body) + "\r\n"
    return OutgoingEmail(parseaddr(sender)[1], message.recipient, document.encode("ascii"))


def _part(boundary: str, subtype: str, content: str) -> str:
    encoded = base64.encodebytes(content.encode()).decode("ascii").replace("\n", "\r\n")
    return (
        f"--{boundary}\r\n"
        f'Content-Type: text/{subtype}; charset="utf-8"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\n"
        f"{encoded.rstrip()}"
    )


def _header_text(value: str) -> str:
    one_line = " ".join(value.split())
    return one_line if one_line.isascii() else Header(one_line, "utf-8").encode(linesep="\r\n")
