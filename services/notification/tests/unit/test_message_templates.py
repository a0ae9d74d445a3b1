"""The message templates: every kind in every locale and channel, links and expiries,
escaping, the tenant's intro, languages, SMS budgets, and the preview of them all."""

import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import get_args

import pytest
from notification import preview
from notification.domain.messages import (
    LOCALES,
    MessageContent,
    format_datetime,
    render_email,
    render_sms,
    template_locale,
)
from onboarding_contracts.events import MessageKind
from onboarding_devtools.testing.mail import parts, read_email
from onboarding_kit.sms_text import sms_encoding, sms_segments

KINDS: tuple[MessageKind, ...] = get_args(MessageKind)
LINK_KINDS = tuple(kind for kind in KINDS if kind != "welcome")
LINK = "https://join.example.org/join?token=AbC-123_xyz"
SIGN_IN = "https://learn.example.org/sign-in"
EXPIRES = datetime(2026, 12, 3, 14, 0, tzinfo=UTC)
EXPIRY_TEXT = {"en": "3 December 2026 at 14:00 UTC", "fr": "3 décembre 2026 à 14:00 UTC"}
# A realistic worst case for an SMS: a long tracked link, a long course title, and the
# longest date either language writes.
LONG_LINK = (
    "https://join.northwind-university.example.org/onboarding/invitations/accept"
    "?token=q8Zt3vQ0mX1yR7cB2nL5wD9kE4hJ6pA0sF3gU8"
)
LONG_COURSE = "Introduction à l'écologie et au développement durable, niv 2"
LATEST_DATE = datetime(2026, 9, 30, 14, 0, tzinfo=UTC)
SUFFIXES = (".eml", ".html", ".sms.txt")


def content(kind: MessageKind, locale: str | None = "en", **changes: object) -> MessageContent:
    fields: dict[str, object] = {"kind": kind, "locale": locale, "email": "ann@example.org"}
    if kind == "welcome":
        fields |= {"name": "Ann", "username": "ann.lee", "sign_in_url": SIGN_IN}
    else:
        fields |= {"name": "Ann Lee", "course": "Biology 101", "link": LINK, "expires_at": EXPIRES}
    if kind == "credentials":
        fields |= {"username": "ann.lee@example.org", "set_password": True}
    return MessageContent(**(fields | changes))  # type: ignore[arg-type]


def bodies(message: MessageContent) -> dict[str, str]:
    """What each channel shows the person: the text part, the HTML part, the SMS."""
    email = render_email(message)
    return {"text": email.text, "html": email.html, "sms": render_sms(message)}


def test_the_realistic_worst_case_is_as_long_as_it_says() -> None:
    assert len(LONG_LINK) == 120
    assert len(LONG_COURSE) == 60


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_renders_in_every_locale_and_channel(kind: MessageKind, locale: str) -> None:
    email = render_email(content(kind, locale))
    assert email.subject and "\n" not in email.subject
    assert email.text.endswith("\n") and "None" not in email.text
    assert email.html.startswith("<!doctype html>")
    assert f'<html lang="{locale}">' in email.html
    assert f"<title>{email.subject}</title>" in email.html.replace("&#39;", "'")
    sms = render_sms(content(kind, locale))
    assert sms == sms.strip() and "None" not in sms
    assert 1 <= sms_segments(sms) <= 2


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("kind", LINK_KINDS)
def test_a_message_with_a_link_gives_it_and_when_it_expires(kind: MessageKind, locale: str) -> None:
    shown = bodies(content(kind, locale))
    for channel, body in shown.items():
        assert LINK in body, channel
        assert EXPIRY_TEXT[locale] in body, channel
        assert "Biology 101" in body, channel
    assert f'href="{LINK}"' in shown["html"]
    works_once = {"en": "works once", "fr": "qu'une seule fois"}[locale]
    assert works_once in shown["text"] and works_once in shown["html"]
    assert {"en": "Works once", "fr": "Usage unique"}[locale] in shown["sms"]


def test_the_link_is_escaped_in_html_and_left_alone_in_text() -> None:
    link = "https://join.example.org/join?token=abc&tenant=t1"
    shown = bodies(content("invitation", link=link))
    assert 'href="https://join.example.org/join?token=abc&amp;tenant=t1"' in shown["html"]
    assert link in shown["text"] and link in shown["sms"]


@pytest.mark.parametrize("locale", LOCALES)
def test_welcome_shows_the_username_and_never_a_password(locale: str) -> None:
    shown = bodies(content("welcome", locale))
    password_value = re.compile(r"(password|mot de passe)\s*:", re.IGNORECASE)
    for channel, body in shown.items():
        assert "ann.lee" in body, channel
        assert SIGN_IN in body, channel
        assert not password_value.search(body), channel
    assert "<strong>ann.lee</strong>" in shown["html"]


@pytest.mark.parametrize("locale", LOCALES)
def test_welcome_without_a_username_says_to_sign_in_with_the_email(locale: str) -> None:
    shown = bodies(content("welcome", locale, username=None))
    sign_in_with = {"en": "Sign in with your email address", "fr": "adresse e-mail"}[locale]
    for channel, body in shown.items():
        assert sign_in_with in body, channel
        assert "ann@example.org" in body, channel


def test_welcome_without_a_first_name_greets_without_one() -> None:
    email = render_email(content("welcome", name=""))
    assert "Hello,\n" in email.text
    assert "<p>Hello,</p>" in email.html


def test_a_name_with_markup_is_escaped_in_html_only() -> None:
    name = "<script>alert(1)</script> Lee"
    shown = bodies(content("invitation", name=name))
    assert "<script>" not in shown["html"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Lee" in shown["html"]
    assert f"Hello {name}," in shown["text"]


def test_a_course_with_markup_is_escaped_in_the_html_title_and_body() -> None:
    email = render_email(content("reminder", course="<b>Bio</b> & Chem"))
    assert email.subject == "Reminder: you're invited to join <b>Bio</b> & Chem"
    assert "<b>" not in email.html
    assert "&lt;b&gt;Bio&lt;/b&gt; &amp; Chem" in email.html


@pytest.mark.parametrize("kind", KINDS)
def test_the_intro_is_the_first_paragraph_and_escaped(kind: MessageKind) -> None:
    intro = "Welcome to <Northwind> & friends."
    shown = bodies(content(kind, intro=intro))
    assert shown["text"].startswith(intro + "\n\nHello")
    assert shown["sms"].startswith(intro + "\n")
    body = shown["html"].split("<body", 1)[1].split(">", 1)[1]
    first_paragraph = re.search(r"<p[^>]*>(.*?)</p>", body, re.DOTALL)
    assert first_paragraph is not None
    assert first_paragraph.group(1) == "Welcome to &lt;Northwind&gt; &amp; friends."


def test_without_an_intro_the_greeting_comes_first() -> None:
    shown = bodies(content("invitation"))
    assert shown["text"].startswith("Hello Ann Lee,\n")
    assert shown["sms"].startswith("You're invited to join Biology 101.")


@pytest.mark.parametrize("locale", ["fr", "fr-CA", "FR-ca", "fr_BE"])
def test_french_tags_get_french(locale: str) -> None:
    email = render_email(content("invitation", locale))
    assert email.subject == "Votre invitation à rejoindre Biology 101"
    assert email.text.startswith("Bonjour Ann Lee,")
    assert "Accepter l'invitation" in email.html.replace("&#39;", "'")
    assert render_sms(content("invitation", locale)).startswith("Votre inscription à Biology 101")


@pytest.mark.parametrize("locale", ["de", "de-DE", None, "", "zh-Hant-TW"])
def test_other_tags_get_english(locale: str | None) -> None:
    email = render_email(content("invitation", locale))
    assert email.subject == "You're invited to join Biology 101"
    assert email.text.startswith("Hello Ann Lee,")


@pytest.mark.parametrize(
    ("tag", "expected"),
    [("en", "en"), ("fr", "fr"), ("fr-CA", "fr"), ("FR", "fr"), ("fr-Latn-CA", "fr"),
     ("en-GB", "en"), ("de", "en"), ("frr", "en"), (None, "en")],
)  # fmt: skip
def test_template_locale(tag: str | None, expected: str) -> None:
    assert template_locale(tag) == expected


@pytest.mark.parametrize("locale", LOCALES)
def test_credentials_show_the_sign_in_name_and_set_a_password(locale: str) -> None:
    shown = bodies(content("credentials", locale))
    for channel, body in shown.items():
        assert "ann.lee@example.org" in body, channel
    assert "<strong>ann.lee@example.org</strong>" in shown["html"]
    button = {"en": "Set my password", "fr": "Définir mon mot de passe"}[locale]
    assert button in shown["html"]


def test_credentials_always_set_a_password() -> None:
    email = render_email(content("credentials", set_password=False))
    assert "Set my password" in email.html
    assert "Accept invitation" not in email.html


@pytest.mark.parametrize(
    ("locale", "kind", "set_password_says", "sign_up_says"),
    [
        ("en", "resend", "set your password", "create your account"),
        ("en", "reminder", "set your password", "created your account"),
        ("fr", "resend", "définir votre mot de passe", "créer votre compte"),
        ("fr", "reminder", "défini votre mot de passe", "créé votre compte"),
    ],
)
def test_a_set_password_link_sent_again_says_to_set_the_password(
    locale: str, kind: MessageKind, set_password_says: str, sign_up_says: str
) -> None:
    set_password = render_email(content(kind, locale, set_password=True))
    sign_up = render_email(content(kind, locale))
    for body in (set_password.text, set_password.html):
        assert set_password_says in body
        assert sign_up_says not in body
    for body in (sign_up.text, sign_up.html):
        assert sign_up_says in body
        assert set_password_says not in body
    sms_action = {"en": "Set your password:", "fr": "Définissez votre mot de passe :"}[locale]
    assert sms_action in render_sms(content(kind, locale, set_password=True))
    assert sms_action not in render_sms(content(kind, locale))


def test_a_resend_says_earlier_links_no_longer_work() -> None:
    assert "no longer works" in render_email(content("resend")).text
    assert "ne fonctionne plus" in render_email(content("resend", "fr")).text


@pytest.mark.parametrize("locale", [*LOCALES, "fr-CA"])
@pytest.mark.parametrize("kind", LINK_KINDS)
def test_a_long_link_and_course_fit_two_segments(kind: MessageKind, locale: str) -> None:
    sms = render_sms(
        content(kind, locale, link=LONG_LINK, course=LONG_COURSE, expires_at=LATEST_DATE)
    )
    assert LONG_LINK in sms and LONG_COURSE in sms
    # é, è and à are in the GSM 03.38 alphabet: the French text stays GSM-7, 153 per part.
    assert sms_encoding(sms) == "GSM-7"
    assert sms_segments(sms) <= 2


def test_a_french_sms_in_august_stays_gsm7() -> None:
    august = datetime(2026, 8, 1, 9, 0, tzinfo=UTC)
    message = content("invitation", "fr", expires_at=august)
    sms = render_sms(message)
    assert "1er aout 2026 à 09:00 UTC" in sms
    assert sms_encoding(sms) == "GSM-7"
    assert "1er août 2026 à 09:00 UTC" in render_email(message).text


def test_a_long_intro_is_left_out_of_the_sms_only() -> None:
    intro = "Northwind Academy welcomes you to its online campus. " * 9  # ~480 characters
    message = content("invitation", link=LONG_LINK, course=LONG_COURSE, intro=intro.strip())
    sms = render_sms(message)
    assert "Northwind" not in sms
    assert sms.startswith("You're invited to join")
    assert sms_segments(sms) <= 2
    assert render_email(message).text.startswith("Northwind Academy welcomes you")


def test_a_short_intro_stays_in_the_sms() -> None:
    sms = render_sms(content("invitation", link=LONG_LINK, intro="Northwind Academy"))
    assert sms.startswith("Northwind Academy\nYou're invited")


def test_an_sms_that_cannot_fit_is_refused_with_the_reason() -> None:
    too_long = LONG_LINK + "&" + "x" * 200
    with pytest.raises(ValueError, match=r"invitation SMS does not fit.*3 SMS segments.*link 321"):
        render_sms(content("invitation", link=too_long, intro="Hi"))


def test_a_name_outside_gsm7_that_does_not_fit_is_refused() -> None:
    # One character outside GSM 03.38 makes the whole text UCS-2: 134 units in two parts.
    with pytest.raises(ValueError, match="UCS-2"):
        render_sms(content("welcome", name="Zoë " + "Ωmega" * 20, sign_in_url=SIGN_IN))


@pytest.mark.parametrize(
    ("missing", "kind"), [("link", "invitation"), ("expires_at", "resend"), ("course", "reminder")]
)
def test_a_message_with_a_link_needs_its_parts(missing: str, kind: MessageKind) -> None:
    with pytest.raises(ValueError, match=missing):
        content(kind, **{missing: None})


def test_a_welcome_needs_where_to_sign_in() -> None:
    with pytest.raises(ValueError, match="sign_in_url"):
        content("welcome", sign_in_url=None)


@pytest.mark.parametrize(
    ("moment", "locale", "expected"),
    [(datetime(2026, 12, 1, 8, 5, tzinfo=UTC), "fr", "1er décembre 2026 à 08:05 UTC"),
     (datetime(2026, 12, 1, 8, 5, tzinfo=UTC), "en", "1 December 2026 at 08:05 UTC"),
     (datetime(2026, 3, 2, 1, 30, tzinfo=timezone(timedelta(hours=2))), "en",
      "1 March 2026 at 23:30 UTC"),
     (datetime(2026, 2, 14, 12, 0), "fr", "14 février 2026 à 12:00 UTC")],
)  # fmt: skip
def test_dates_are_written_in_utc_as_each_language_does(
    moment: datetime, locale: str, expected: str
) -> None:
    assert format_datetime(moment, locale) == expected


def test_the_preview_writes_every_kind_locale_and_channel(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert preview.main(["--out", str(tmp_path)]) == 0
    listed = capsys.readouterr().out
    for locale in LOCALES:
        for kind in KINDS:
            files = {suffix: tmp_path / locale / f"{kind}{suffix}" for suffix in SUFFIXES}
            for path in files.values():
                assert path.stat().st_size > 0, path
                assert str(path) in listed
            eml = read_email(files[".eml"])
            assert eml.get_content_type() == "multipart/alternative"
            assert eml["X-Notification-Kind"] == kind
            assert eml["Subject"] == render_email(preview.sample_content(kind, locale)).subject
            assert parts(eml)[1] == files[".html"].read_text()
            sms = files[".sms.txt"].read_text()
            assert f"{files['.sms.txt']}  {sms_segments(sms)} SMS segment" in listed
    french_text, _ = parts(read_email(tmp_path / "fr" / "invitation.eml"))
    assert "Bonjour Léa Lefèvre," in french_text
