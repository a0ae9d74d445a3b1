"""An invitation email as written for SMTP: parts, link, subject, escaping and headers
(what `domain.messages` renders, put in MIME by `domain.mime`)."""

from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import getaddresses
from typing import Any

import pytest
from notification.domain.messages import MessageContent, write_email
from notification.domain.mime import OutgoingEmail

SENDER = "Onboarding <noreply@example.org>"
LINK = "https://join.example.org/join?token=AbC-123_xyz"
EXPIRES = datetime(2025, 3, 2, 9, 30, tzinfo=UTC)


@dataclass(frozen=True)
class InvitationMessage:
    notification_id: str
    content: MessageContent


def message(
    notification_id: str = "notif-7f3a", reason: str = "invitation", **changes: Any
) -> InvitationMessage:
    fields: dict[str, Any] = {
        "kind": reason,
        "locale": None,
        "email": "ann@example.org",
        "name": "Ann Lee",
        "course": "Biology 101",
        "link": LINK,
        "expires_at": EXPIRES,
        **changes,
    }
    return InvitationMessage(notification_id, MessageContent(**fields))


def render_invitation_email(invitation: InvitationMessage, sender: str) -> OutgoingEmail:
    return write_email(
        message_id=invitation.notification_id, sender=sender, content=invitation.content
    )


def parts(email: EmailMessage) -> tuple[str, str]:
    text = email.get_body(preferencelist=("plain",))
    html = email.get_body(preferencelist=("html",))
    assert text is not None
    assert html is not None
    return text.get_content(), html.get_content()


def rendered(invitation: InvitationMessage) -> EmailMessage:
    """The message as a receiver parses it from the bytes sent over SMTP."""
    outgoing = render_invitation_email(invitation, SENDER)
    parsed = message_from_bytes(outgoing.data, policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


@pytest.fixture
def email() -> EmailMessage:
    return rendered(message())


def test_has_a_text_and_an_html_alternative(email: EmailMessage) -> None:
    assert email.get_content_type() == "multipart/alternative"
    types = [part.get_content_type() for part in email.iter_parts()]
    assert types == ["text/plain", "text/html"]  # the richer one last, as MIME wants


def test_both_parts_contain_the_link(email: EmailMessage) -> None:
    text, html = parts(email)
    assert LINK in text
    assert f'href="{LINK}"' in html


def test_both_parts_greet_by_name_and_name_the_course(email: EmailMessage) -> None:
    text, html = parts(email)
    for body in (text, html):
        assert "Ann Lee" in body
        assert "Biology 101" in body


def test_both_parts_give_the_expiry(email: EmailMessage) -> None:
    text, html = parts(email)
    assert "2 March 2025 at 09:30 UTC" in text
    assert "2 March 2025 at 09:30 UTC" in html


def test_subject_names_the_course(email: EmailMessage) -> None:
    assert email["Subject"] == "You're invited to join Biology 101"
    assert "\n" not in email["Subject"]


def test_addresses(email: EmailMessage) -> None:
    assert email["From"] == SENDER
    assert getaddresses([email["To"]]) == [("Ann Lee", "ann@example.org")]


def test_html_escapes_the_name_while_the_text_keeps_it() -> None:
    hostile = "<script>alert(1)</script>"
    email = rendered(message(name=hostile))
    text, html = parts(email)
    assert hostile not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert f"Hello {hostile}," in text


def test_html_escapes_the_course_and_the_link() -> None:
    link = 'https://join.example.org/join?token=a"b&c=d'
    email = rendered(message(course="R&D <Lab>", link=link))
    text, html = parts(email)
    assert "R&amp;D &lt;Lab&gt;" in html
    assert "<Lab>" not in html
    assert 'href="https://join.example.org/join?token=a&#34;b&amp;c=d"' in html
    assert "R&D <Lab>" in text
    assert link in text
    assert email["Subject"] == "You're invited to join R&D <Lab>"  # a header, not HTML


def test_non_ascii_name_and_course_survive() -> None:
    email = rendered(message(name="Zoë Ångström", course="Café 101"))
    text, html = parts(email)
    assert "Zoë Ångström" in text
    assert "Zoë Ångström" in html
    assert email["Subject"] == "You're invited to join Café 101"
    reparsed = message_from_bytes(email.as_bytes(), policy=policy.default)
    assert reparsed["Subject"] == "You're invited to join Café 101"


def test_message_id_contains_the_notification_id(email: EmailMessage) -> None:
    assert email["Message-ID"] == "<notif-7f3a@onboarding.local>"
    assert email["X-Notification-Id"] == "notif-7f3a"


def test_message_ids_differ_between_notifications() -> None:
    first = rendered(message(notification_id="n-1"))
    second = rendered(message(notification_id="n-2"))
    again = rendered(message(notification_id="n-1"))
    assert first["Message-ID"] != second["Message-ID"]
    assert again["Message-ID"] == first["Message-ID"], "a re-send can be recognised"


def test_survives_a_round_trip_through_bytes(email: EmailMessage) -> None:
    reparsed = message_from_bytes(email.as_bytes(), policy=policy.default)
    assert isinstance(reparsed, EmailMessage)
    text, html = parts(reparsed)
    assert LINK in text
    assert f'href="{LINK}"' in html
    assert reparsed["X-Notification-Id"] == "notif-7f3a"


# --- header injection ---------------------------------------------------------------------


def header_lines(invitation: InvitationMessage) -> list[str]:
    """The header section as sent, one entry per line."""
    head = render_invitation_email(invitation, SENDER).data.split(b"\r\n\r\n", 1)[0]
    return head.decode("ascii").split("\r\n")


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("Ann\r\nBcc: x@evil", "Ann Bcc: x@evil"),
        ("Ann\nBcc: x@evil", "Ann Bcc: x@evil"),
        ("Zoë\r\nBcc: x@evil", "Zoë Bcc: x@evil"),  # RFC 2047 encoded, then decoded
    ],
)
def test_a_line_break_in_the_name_adds_no_header(name: str, shown: str) -> None:
    email = rendered(message(name=name))
    assert email["Bcc"] is None
    assert getaddresses([email["To"]]) == [(shown, "ann@example.org")]
    lines = header_lines(message(name=name))
    [to_line] = [line for line in lines if line.startswith("To:")]
    assert to_line.endswith(" <ann@example.org>"), "the whole To on one line"
    assert not any(line.lower().startswith("bcc") for line in lines)


def test_a_line_break_in_the_course_adds_no_header() -> None:
    email = rendered(message(course="Biology\r\nBcc: x@evil\r\n\r\nforged body"))
    assert email["Bcc"] is None
    assert email["Subject"] == "You're invited to join Biology Bcc: x@evil forged body"
    _, html = parts(email)
    assert "forged body" in html, "the body keeps the title as it is, escaped"


def test_control_characters_in_headers_become_spaces() -> None:
    email = rendered(message(name="Ann\x00Lee\x1b[2J", course="Bio\tlogy\x7f 101\x85"))
    assert getaddresses([email["To"]]) == [("Ann Lee [2J", "ann@example.org")]
    assert email["Subject"] == "You're invited to join Bio logy 101"
    for line in header_lines(message(name="Ann\x00Lee", course="Bio\x0b101")):
        assert line.isprintable(), repr(line)


@pytest.mark.parametrize(
    ("reason", "subject", "says"),
    [
        ("resend", "Your new link to join Biology 101", "replaces the link we sent"),
        ("reminder", "Reminder: you're invited to join Biology 101", "A reminder"),
    ],
)
def test_a_resend_or_a_reminder_says_what_it_is(reason: str, subject: str, says: str) -> None:
    email = rendered(message(reason=reason))
    assert email["Subject"] == subject
    text, html = parts(email)
    for body in (text, html):
        assert says in body
        assert LINK in body


def test_the_html_title_escapes_the_course() -> None:
    _, html = parts(rendered(message(course="<b>Bio</b>")))
    assert "<title>You&#39;re invited to join &lt;b&gt;Bio&lt;/b&gt;</title>" in html


def test_a_line_break_in_a_welcomed_first_name_adds_no_header() -> None:
    welcome = MessageContent(
        kind="welcome",
        locale=None,
        name="Ann\r\nBcc: x@evil",
        email="ann@example.org",
        username="ann",
        sign_in_url="https://learn.example.org/",
    )
    written = render_invitation_email(InvitationMessage("w-1", welcome), SENDER)
    head = written.data.split(b"\r\n\r\n", 1)[0].decode("ascii")
    assert not any(line.lower().startswith("bcc") for line in head.split("\r\n"))
