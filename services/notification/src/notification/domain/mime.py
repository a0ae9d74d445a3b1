"""Writing an email as the bytes SMTP carries: a multipart/alternative message.

The MIME structure is written directly rather than through `email.message`, which costs
some twenty times more per message; both parts are UTF-8 in base64, and headers with
non-ASCII text are RFC 2047 encoded.

Every header value that comes from data (a person's name, a course title in the subject) is
made one clean line first (`header_text`): a CR or LF in it would otherwise end the header
and start one of the sender's choosing, such as a `Bcc:`."""

import base64
import functools
from dataclasses import dataclass
from email.header import Header
from email.utils import formataddr, formatdate, parseaddr

# C0 and C1 control characters, and DEL.
_CONTROLS_AS_SPACES = {c: " " for c in (*range(0x20), *range(0x7F, 0xA0))}


@dataclass(frozen=True)
class OutgoingEmail:
    """A message ready for SMTP: the envelope and the RFC 5322 bytes."""

    sender: str
    recipient: str
    data: bytes


@dataclass(frozen=True)
class EmailContent:
    """What one email says: its subject, and its body as plain text and as HTML."""

    subject: str
    text: str
    html: str


def write_alternative_email(
    *,
    message_id: str,
    sender: str,
    recipient: str,
    recipient_name: str,
    content: EmailContent,
    kind: str,
) -> OutgoingEmail:
    """The content as a multipart/alternative message (plain text, then HTML).

    `message_id` makes the Message-ID (and the X-Notification-Id): the same id for a re-sent
    message lets a receiver drop the duplicate. `kind` (X-Notification-Kind: invitation,
    welcome) lets a reader of the mailbox tell the messages of one person apart."""
    boundary = f"=_{message_id}"
    sender_header, sender_address = _sender(sender)
    headers = [
        f"From: {sender_header}",
        f"To: {formataddr((header_text(recipient_name), recipient))}",
        f"Subject: {_encoded(header_text(content.subject))}",
        f"Date: {formatdate(usegmt=True)}",
        f"Message-ID: <{message_id}@onboarding.local>",
        f"X-Notification-Id: {message_id}",
        f"X-Notification-Kind: {kind}",
        "MIME-Version: 1.0",
        f'Content-Type: multipart/alternative; boundary="{boundary}"',
    ]
    body = [
        _part(boundary, "plain", content.text),
        _part(boundary, "html", content.html),  # the richer one last, as MIME wants
        f"--{boundary}--",
    ]
    document = "\r\n".join(headers) + "\r\n\r\n" + "\r\n".join(body) + "\r\n"
    return OutgoingEmail(sender_address, recipient, document.encode("ascii"))


@functools.lru_cache(maxsize=256)
def _sender(sender: str) -> tuple[str, str]:
    """The From header and the envelope address of a sender (a few per service, parsed
    once each)."""
    parsed = parseaddr(sender)
    return formataddr(parsed), parsed[1]


def _part(boundary: str, subtype: str, content: str) -> str:
    encoded = base64.encodebytes(content.encode()).decode("ascii").replace("\n", "\r\n")
    return (
        f"--{boundary}\r\n"
        f'Content-Type: text/{subtype}; charset="utf-8"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\n"
        f"{encoded.rstrip()}"
    )


def header_text(value: str) -> str:
    """`value` as one line fit for a header: control characters (CR and LF among them)
    become spaces, and each run of whitespace one space."""
    return " ".join(value.translate(_CONTROLS_AS_SPACES).split())


def _encoded(one_line: str) -> str:
    return one_line if one_line.isascii() else Header(one_line, "utf-8").encode(linesep="\r\n")
