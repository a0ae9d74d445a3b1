"""What a message says, in each channel and language: one `MessageContent`, rendered from
the templates `templates/email/<locale>/<kind>.{subject,txt,html}.j2` and
`templates/sms/<locale>/<kind>.txt.j2`.

Each channel shares its layout through Jinja inheritance: `email/base.*.j2` and
`sms/base.txt.j2` place the tenant's intro and the parts of a message; a locale's
`layout.*.j2` and `link.*.j2` say what every message (and every message with a link) says
in that language; a kind's template says only what is its own. Only the HTML templates are
autoescaped: the subject is a header and the text part and the SMS are plain text.

A person's locale is a BCP 47 tag from their enrolment; a message is written in the closest
language there are templates for (`template_locale`), English when there are none.
"""

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from onboarding_contracts.events import MessageKind
from onboarding_kit.sms_text import check_fits, sms_segments

from notification.domain.mime import EmailContent, OutgoingEmail, write_alternative_email

# Every locale has a template for every kind in each channel (the unit tests render them
# all); a new language is a new directory under both `email/` and `sms/`, named here.
LOCALES: tuple[str, ...] = ("en", "fr")
DEFAULT_LOCALE = "en"

# An SMS is charged per segment and carriers may drop long concatenations: two at most.
SMS_MAX_SEGMENTS = 2

_LINK_KINDS: frozenset[MessageKind] = frozenset({"invitation", "resend", "reminder", "credentials"})


@dataclass(frozen=True)
class MessageContent:
    """Everything a message says, whatever its channel."""

    kind: MessageKind
    # The BCP 47 tag from the enrolment; None: English.
    locale: str | None
    # The person's name (for a welcome their first name, which may be "").
    name: str
    # The person's address: a welcome without a username says to sign in with it.
    email: str
    # The course's title (or code); None for a welcome.
    course: str | None = None
    # The accept or set-password link, and when it expires; None for a welcome.
    link: str | None = None
    expires_at: datetime | None = None
    # The sign-in name when it is fixed already (credentials, email usernames, a welcome).
    username: str | None = None
    # The link only sets a password: credentials were sent, the account exists.
    set_password: bool = False
    # A welcome: where to sign in.
    sign_in_url: str | None = None
    # The tenant's From name; the caller builds the email's From header with it (the body
    # does not repeat it).
    sender_name: str | None = None
    # The tenant's short intro (plain text, at most 500 characters): a message's first
    # paragraph.
    intro: str | None = None

    def __post_init__(self) -> None:
        # A None would be rendered as the word "None": refuse the message instead.
        if self.kind in _LINK_KINDS:
            missing = [
                field
                for field, value in (
                    ("course", self.course),
                    ("link", self.link),
                    ("expires_at", self.expires_at),
                )
                if not value
            ]
            if missing:
                raise ValueError(f"a {self.kind} message needs {', '.join(missing)}")
        elif not self.sign_in_url:
            raise ValueError(f"a {self.kind} message needs sign_in_url")


@dataclass(frozen=True)
class _DateWords:
    """How a locale writes a moment: "3 December 2026 at 14:00 UTC"."""

    months: tuple[str, ...]
    at: str
    first_day: str  # French writes the first of the month "1er"


_DATE_WORDS = {
    "en": _DateWords(
        months=(
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ),
        at="at",
        first_day="1",
    ),
    "fr": _DateWords(
        months=(
            "janvier",
            "février",
            "mars",
            "avril",
            "mai",
            "juin",
            "juillet",
            "août",
            "septembre",
            "octobre",
            "novembre",
            "décembre",
        ),
        at="à",
        first_day="1er",
    ),
}

# Month names written in the GSM 03.38 alphabet for an SMS: a single "û" would send the
# whole text as UCS-2, less than half the room. "aout" is the 1990 reformed spelling.
_GSM7_SPELLINGS = {"août": "aout"}


def format_datetime(moment: datetime, locale: str, *, for_sms: bool = False) -> str:
    """`moment` in UTC as `locale` writes it: "3 December 2026 at 14:00 UTC", "3 décembre
    2026 à 14:00 UTC". A naive datetime is taken as UTC already."""
    words = _DATE_WORDS[locale]
    utc = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    month = words.months[utc.month - 1]
    if for_sms:
        month = _GSM7_SPELLINGS.get(month, month)
    day = words.first_day if utc.day == 1 else str(utc.day)
    return f"{day} {month} {utc.year} {words.at} {utc:%H:%M} UTC"


def template_locale(locale: str | None) -> str:
    """The locale whose templates are used: the tag itself if templates exist, else its
    language ("fr-CA" -> "fr"), else "en".

    Tags compare case-insensitively, and a longer tag falls back one subtag at a time
    ("zh-Hant-TW", then "zh-Hant", then "zh"), as in RFC 4647 lookup."""
    if not locale:
        return DEFAULT_LOCALE
    known = {tag.lower(): tag for tag in LOCALES}
    subtags = locale.replace("_", "-").lower().split("-")
    while subtags:
        if (tag := "-".join(subtags)) in known:
            return known[tag]
        subtags.pop()
    return DEFAULT_LOCALE


_templates = Environment(
    loader=PackageLoader("notification.domain", "templates"),
    autoescape=select_autoescape(["html.j2"]),
    undefined=StrictUndefined,
    # A tag alone on its line leaves no blank line behind: the text parts read as written.
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
    # The templates ship with the code: compiled once, never looked at on disk again.
    auto_reload=False,
)


def render_email(content: MessageContent) -> EmailContent:
    """The email's subject, plain text and HTML, in the person's language."""
    locale = template_locale(content.locale)
    context = _context(content, locale, for_sms=False)
    prefix = f"email/{locale}/{content.kind}"
    subject = _templates.get_template(f"{prefix}.subject.j2").render(context).strip()
    return EmailContent(
        subject=subject,
        text=_templates.get_template(f"{prefix}.txt.j2").render(context),
        # The HTML escapes the subject in its title: the subject template itself is text.
        html=_templates.get_template(f"{prefix}.html.j2").render(context, subject=subject),
    )


def render_sms(content: MessageContent) -> str:
    """The SMS text, in the person's language, in at most `SMS_MAX_SEGMENTS` segments.

    The tenant's intro is left out when the text would not fit with it: the link is the
    message, the intro only a greeting. ValueError when even the text without an intro
    does not fit (a very long course title, link or name)."""
    text = _sms_text(content)
    if content.intro and sms_segments(text) > SMS_MAX_SEGMENTS:
        text = _sms_text(replace(content, intro=None))
    try:
        check_fits(text, SMS_MAX_SEGMENTS)
    except ValueError as error:
        raise ValueError(
            f"the {content.kind} SMS does not fit, even without the tenant's intro: {error} "
            f"(course {len(content.course or '')}, link {len(content.link or '')}, "
            f"name {len(content.name)} characters)"
        ) from error
    return text


def _sms_text(content: MessageContent) -> str:
    locale = template_locale(content.locale)
    context = _context(content, locale, for_sms=True)
    return _templates.get_template(f"sms/{locale}/{content.kind}.txt.j2").render(context).strip()


def _context(content: MessageContent, locale: str, *, for_sms: bool) -> dict[str, Any]:
    expires_at = content.expires_at
    expiry = None if expires_at is None else format_datetime(expires_at, locale, for_sms=for_sms)
    return {
        "lang": locale,
        "name": content.name,
        "email": content.email,
        "course": content.course,
        "link": content.link,
        "expires_at": expiry,
        "username": content.username,
        # A credentials link only ever sets a password: the account exists already.
        "set_password": content.set_password or content.kind == "credentials",
        "sign_in_url": content.sign_in_url,
        "intro": content.intro,
    }


def write_email(*, message_id: str, sender: str, content: MessageContent) -> OutgoingEmail:
    """The email of `content`, from `sender` (a From header's value), as SMTP carries it;
    `message_id` makes its Message-ID, the same each time it is sent."""
    return write_alternative_email(
        message_id=message_id,
        sender=sender,
        recipient=content.email,
        recipient_name=content.name,
        content=render_email(content),
        kind=content.kind,
    )
