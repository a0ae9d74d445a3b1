"""SMTP delivery over a small pool of open connections (opening one per message would cost
more than the message): plain, STARTTLS or implicit TLS, with login when a username is set.

What the server answers decides what becomes of the message: 2xx sent; 5xx refused for
good; 4xx (greylisting, a full mailbox, "try again later") deferred, and 421 (the server is
closing the connection, often because the sender is too fast) deferred with a request to
slow down; a server that cannot be reached deferred as unavailable."""

import asyncio
import contextlib
from typing import Literal

import aiosmtplib

from notification.domain.mime import OutgoingEmail
from notification.errors import DeliveryDeferred, DeliveryUnavailable, MessageRejected

SERVICE_CLOSING = 421
# The server refuses this sender's setup, not a message: authentication or encryption is
# required (530), too weak (534, 538) or failed (535). Every message would fail alike.
SETUP_REFUSED = frozenset({530, 534, 535, 538})
TlsMode = Literal["none", "starttls", "tls"]


def _refusal(code: int, message: str) -> Exception:
    reason = f"{code} {message}".strip()
    if code in SETUP_REFUSED:
        return DeliveryUnavailable(f"the mail server refuses this sender's setup: {reason}")
    if 500 <= code < 600:
        return MessageRejected(reason)
    return DeliveryDeferred(reason, slow_down=code == SERVICE_CLOSING)


class SmtpPool:
    """An `EmailChannel` over SMTP."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        size: int = 4,
        timeout_s: float = 30,
        tls: TlsMode = "none",
        username: str | None = None,
        password: str | None = None,
        ca_file: str | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.timeout_s = timeout_s
        self._idle: asyncio.Queue[aiosmtplib.SMTP] = asyncio.Queue()
        for _ in range(size):
            self._idle.put_nowait(
                aiosmtplib.SMTP(
                    hostname=host,
                    port=port,
                    timeout=timeout_s,
                    use_tls=tls == "tls",
                    start_tls=tls == "starttls",
                    username=username,
                    password=password,
                    cert_bundle=ca_file,
                )
            )

    async def send(self, message: OutgoingEmail) -> None:
        client = await self._idle.get()
        try:
            await self._send_on(client, message)
        finally:
            self._idle.put_nowait(client)

    async def _send_on(self, client: aiosmtplib.SMTP, message: OutgoingEmail) -> None:
        for attempt in (1, 2):  # a pooled connection may have been closed by the server
            try:
                if not client.is_connected:
                    await client.connect()
                await client.sendmail(message.sender, [message.recipient], message.data)
                return
            except aiosmtplib.SMTPRecipientsRefused as error:
                # About this recipient, not the server: this message alone.
                (refused,) = error.recipients
                raise _refusal(refused.code, refused.message) from error
            except aiosmtplib.SMTPAuthenticationError as error:
                # Our credentials, not the message: no message can go until they are fixed.
                _close(client)
                raise DeliveryUnavailable(f"login refused: {error.code} {error.message}") from error
            except aiosmtplib.SMTPResponseException as error:
                if error.code == SERVICE_CLOSING or not 200 <= error.code < 500:
                    _close(client)  # the server ends the session, or it is in doubt
                raise _refusal(error.code, error.message) from error
            except (
                aiosmtplib.SMTPServerDisconnected,
                aiosmtplib.SMTPConnectError,
                aiosmtplib.SMTPTimeoutError,
                OSError,
            ) as error:
                _close(client)
                if attempt == 2:
                    raise DeliveryUnavailable(f"mail server unreachable: {error}") from error

    async def close(self) -> None:
        while not self._idle.empty():
            client = self._idle.get_nowait()
            if client.is_connected:
                with contextlib.suppress(Exception):
                    await client.quit()


def _close(client: aiosmtplib.SMTP) -> None:
    with contextlib.suppress(Exception):
        client.close()
