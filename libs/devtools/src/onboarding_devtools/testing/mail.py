"""Reading what the SMTP sink received, for tests: the sink in-process, started when a test
says so, and the parts and addressees of a message."""

import asyncio
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import getaddresses
from pathlib import Path

from aiosmtpd.controller import Controller

from onboarding_devtools.smtp_sink import NO_FAULTS, Faults, start_sink


class Sink:
    """The SMTP sink on `port`, writing into `directory`; `stop` it at the end."""

    def __init__(self, directory: Path, port: int) -> None:
        self.directory = directory
        self.port = port
        self.controller: Controller | None = None

    async def start(self, faults: Faults = NO_FAULTS) -> None:
        self.controller = await asyncio.to_thread(
            start_sink, self.directory, port=self.port, faults=faults
        )

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def emails(self) -> list[EmailMessage]:
        if not self.directory.exists():
            return []
        return [read_email(path) for path in sorted(self.directory.glob("*.eml"))]


def read_email(path: Path) -> EmailMessage:
    message = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def parts(email: EmailMessage) -> tuple[str, str]:
    """The plain text and the HTML of a multipart/alternative message."""
    text = email.get_body(preferencelist=("plain",))
    html = email.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    return text.get_content(), html.get_content()


def recipients(email: EmailMessage) -> list[str]:
    return [address for _, address in getaddresses(email.get_all("To", []))]
