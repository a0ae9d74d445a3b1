"""Every message the service sends, rendered with sample content into files to read:
`python -m notification.preview [--out DIR]` (default `.run/preview-mail`).

For each locale and kind it writes `<locale>/<kind>.eml` (the whole MIME message, as SMTP
would carry it), `<locale>/<kind>.html` (its HTML part, to open in a browser) and
`<locale>/<kind>.sms.txt` (the SMS), then lists them with each SMS's segments. It reads no
setting and needs no database or broker: only the templates.
"""

import argparse
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from email.utils import formataddr
from pathlib import Path
from typing import get_args

from onboarding_contracts.events import MessageKind
from onboarding_kit.sms_text import sms_encoding, sms_segments

from notification.domain.messages import (
    LOCALES,
    MessageContent,
    render_email,
    render_sms,
    write_email,
)

DEFAULT_OUT = Path(".run/preview-mail")
KINDS: tuple[MessageKind, ...] = get_args(MessageKind)

# A fixed moment, so that two previews of the same templates are the same files.
_EXPIRES_AT = datetime(2026, 12, 3, 14, 0, tzinfo=UTC)
_SENDER_ADDRESS = "noreply@onboarding.local"

_EMAIL = "ann.lee@example.org"
_SENDER_NAME = "Northwind Academy"
_LINK = "https://join.example.org/join?token=q8Zt3vQ0mX1yR7cB2nL5wD9kE4hJ6pA0sF3gU8iO1aT"
_SIGN_IN_URL = "https://learn.example.org/sign-in"

# A name, a course and a tenant's intro in each language, with its accents.
_SAMPLES = {
    "en": ("Ann Lee", "Biology 101: Cells and Genetics", "Northwind Academy: your online campus."),
    "fr": (
        "Léa Lefèvre",
        "Biologie 101 : cellules et génétique",
        "Northwind Academy : votre campus en ligne.",
    ),
}


def sample_content(kind: MessageKind, locale: str) -> MessageContent:
    """A realistic message of `kind` in `locale`, with a tenant's intro and sender name."""
    name, course, intro = _SAMPLES.get(locale, _SAMPLES["en"])
    if kind == "welcome":
        return MessageContent(
            kind=kind,
            locale=locale,
            name=name.split()[0],  # a welcome greets by first name
            email=_EMAIL,
            username="ann.lee",
            sign_in_url=_SIGN_IN_URL,
            sender_name=_SENDER_NAME,
            intro=intro,
        )
    return MessageContent(
        kind=kind,
        locale=locale,
        name=name,
        email=_EMAIL,
        course=course,
        link=_LINK,
        expires_at=_EXPIRES_AT,
        username=_EMAIL if kind == "credentials" else None,
        set_password=kind == "credentials",
        sender_name=_SENDER_NAME,
        intro=intro,
    )


def write_previews(out: Path) -> list[tuple[Path, str]]:
    """Every kind in every locale, written under `out`: each file with a note (the SMS's
    segments and encoding; empty for the others)."""
    written: list[tuple[Path, str]] = []
    for locale in LOCALES:
        directory = out / locale
        directory.mkdir(parents=True, exist_ok=True)
        for kind in KINDS:
            content = sample_content(kind, locale)
            email = render_email(content)
            eml = write_email(
                message_id=f"preview-{locale}-{kind}",
                sender=formataddr((content.sender_name or "Onboarding", _SENDER_ADDRESS)),
                content=content,
            )
            sms = render_sms(content)
            files = {
                directory / f"{kind}.eml": (eml.data, ""),
                directory / f"{kind}.html": (email.html.encode(), ""),
                directory / f"{kind}.sms.txt": (
                    sms.encode(),
                    _sms_note(sms),
                ),
            }
            for path, (data, note) in files.items():
                path.write_bytes(data)
                written.append((path, note))
    return written


def _sms_note(sms: str) -> str:
    segments = sms_segments(sms)
    plural = "" if segments == 1 else "s"
    return f"{segments} SMS segment{plural} ({sms_encoding(sms)}, {len(sms)} characters)"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m notification.preview",
        description="Render every message kind, locale and channel with sample content.",
    )
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help=f"directory (default {DEFAULT_OUT})"
    )
    args = parser.parse_args(argv)
    written = write_previews(args.out)
    for path, note in written:
        print(f"{path}  {note}".rstrip())
    print(f"{len(written)} files in {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
