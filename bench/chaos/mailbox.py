"""The SMTP sink's directory, read as it fills: who got which message, and when.

The sink writes each message it accepts to a temporary dot-file and renames it to
`<time>-<random>.eml` before it answers `250`, so an `.eml` file is a message the mail server
took, and its modification time is when (to the file system's clock, the wall clock of this
machine). Only the headers are read here (`To`, `X-Notification-Id`, the notification's
stable id that is also the Message-ID, and `X-Notification-Kind`: only invitations are
counted, a welcome mail after registering is not a copy of one); a body only for the people
who register.
"""

import email
import email.message
import email.policy
import os
import re
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser
from email.utils import parseaddr
from pathlib import Path

ACCEPT_LINK = re.compile(r"https?://\S+/join\?token=([\w-]+)")
HEADER_BYTES = 4096  # the headers of an invitation are well under 1 KiB
_headers = BytesHeaderParser(policy=email.policy.compat32)


@dataclass(frozen=True)
class Copy:
    """One `.eml` file: a message as the mail server accepted it."""

    path: Path
    recipient: str  # lower-cased
    written_ns: int  # the file's mtime, wall clock
    notification_id: str


@dataclass
class Mailbox:
    directory: Path
    copies: dict[str, list[Copy]] = field(default_factory=dict)  # recipient -> its messages
    seen: set[str] = field(default_factory=set)
    unreadable: list[str] = field(default_factory=list)

    @property
    def people(self) -> int:
        """People with at least one message."""
        return len(self.copies)

    @property
    def messages(self) -> int:
        return len(self.seen)

    def read_new(self) -> list[tuple[str, Copy | None]]:
        """The files written since the last call, parsed (blocking: run it in a thread).
        Nothing is changed here; `add` merges the result, in the event loop."""
        found = []
        try:
            with os.scandir(self.directory) as entries:
                for entry in entries:
                    name = entry.name
                    if not name.endswith(".eml") or name.startswith(".") or name in self.seen:
                        continue
                    try:
                        written_ns = entry.stat(follow_symlinks=False).st_mtime_ns
                        with open(entry.path, "rb") as file:
                            head = file.read(HEADER_BYTES)
                    except OSError:
                        continue  # read again next time
                    found.append((name, _parse(Path(entry.path), head, written_ns)))
        except FileNotFoundError:
            return []
        return found

    def add(self, found: list[tuple[str, Copy | None]]) -> None:
        for name, copy in found:
            self.seen.add(name)
            if copy is None:
                self.unreadable.append(name)
                continue
            self.copies.setdefault(copy.recipient, []).append(copy)

    def extra_copies(self) -> list[tuple[str, Copy, Copy]]:
        """(recipient, the first copy, an extra one) for every message beyond a person's
        first, the copies in the order they were written."""
        extra = []
        for recipient, copies in self.copies.items():
            ordered = sorted(copies, key=lambda c: c.written_ns)
            extra += [(recipient, ordered[0], later) for later in ordered[1:]]
        return extra

    def link_token(self, recipient: str) -> str:
        """The token of the accept link in this person's (first) message."""
        copy = min(self.copies[recipient], key=lambda c: c.written_ns)
        message = email.message_from_bytes(copy.path.read_bytes(), policy=email.policy.default)
        assert isinstance(message, email.message.EmailMessage)
        body = message.get_body(preferencelist=("plain",))
        found = ACCEPT_LINK.search(body.get_content() if body is not None else "")
        if found is None:
            raise ValueError(f"no accept link in {copy.path}")
        return found.group(1)


def _parse(path: Path, head: bytes, written_ns: int) -> Copy | None:
    headers = _headers.parsebytes(head.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n")
    recipient = parseaddr(str(headers.get("To", "")))[1].lower()
    notification_id = str(headers.get("X-Notification-Id", "")).strip()
    kind = str(headers.get("X-Notification-Kind", "invitation")).strip()
    if not recipient or not notification_id or kind != "invitation":
        return None
    return Copy(path, recipient, written_ns, notification_id)
