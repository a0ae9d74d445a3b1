"""Rendering the welcome email: subject, username, sign-in link, no password, escaping."""

from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import getaddresses

from notification.domain.welcome_email import WelcomeMessage, render_welcome_email
from onboarding_devtools.testing.mail import parts

SENDER = "Onboarding <noreply@example.org>"
SIGN_IN = "https://learn.example.org/sign-in"


def rendered(**changes: object) -> EmailMessage:
    fields: dict[str, object] = {
        "notification_id": "welcome-1",
        "recipient": "ann@example.org",
        "username": "ann.lee",
        "first_name": "Ann",
        "sign_in_url": SIGN_IN,
        **changes,
    }
    outgoing = render_welcome_email(WelcomeMessage(**fields), SENDER)  # type: ignore[arg-type]
    parsed = message_from_bytes(outgoing.data, policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def test_subject_says_the_account_is_ready() -> None:
    assert rendered()["Subject"] == "Your account is ready"


def test_both_parts_give_the_username_and_the_sign_in_link() -> None:
    text, html = parts(rendered())
    assert "Hello Ann," in text
    assert "Your username: ann.lee" in text
    assert SIGN_IN in text
    assert "<strong>ann.lee</strong>" in html
    assert f'href="{SIGN_IN}"' in html


def test_it_says_no_password_is_sent_and_carries_none() -> None:
    text, html = parts(rendered())
    assert "we never send passwords by email" in text
    for body in (text, html):
        assert "password:" not in body.lower()


def test_addressed_to_the_person_by_first_name() -> None:
    email = rendered()
    assert email["From"] == SENDER
    assert getaddresses([email["To"]]) == [("Ann", "ann@example.org")]
    assert email["X-Notification-Id"] == "welcome-1"
    assert email["X-Notification-Kind"] == "welcome"
    assert email.get_content_type() == "multipart/alternative"


def test_without_a_first_name_it_greets_plainly() -> None:
    email = rendered(first_name=None)
    text, html = parts(email)
    assert "Hello," in text and "<p>Hello,</p>" in html
    assert getaddresses([email["To"]]) == [("", "ann@example.org")]


def test_without_a_username_it_says_to_sign_in_with_the_email() -> None:
    text, html = parts(rendered(username=None))
    assert "Sign in with your email address: ann@example.org" in text
    assert "Your username" not in text + html


def test_html_escapes_the_username_the_name_and_the_link() -> None:
    text, html = parts(
        rendered(
            username="<b>ann</b>",
            first_name="<script>x</script>",
            sign_in_url='https://learn.example.org/?a="1"&b=2',
        )
    )
    assert "<b>ann</b>" not in html and "&lt;b&gt;ann&lt;/b&gt;" in html
    assert "<script>" not in html and "&lt;script&gt;x&lt;/script&gt;" in html
    assert 'href="https://learn.example.org/?a=&#34;1&#34;&amp;b=2"' in html
    assert "Your username: <b>ann</b>" in text


def test_a_line_break_in_the_first_name_adds_no_header() -> None:
    email = rendered(first_name="Ann\r\nBcc: x@evil")
    assert email["Bcc"] is None
    assert getaddresses([email["To"]]) == [("Ann Bcc: x@evil", "ann@example.org")]
