"""SMTP delivery over a small pool of open connections (opening one per message would cost
more than the message)."""

import asyncio
import contextlib

import aiosmtplib

from notification.domain.mime import OutgoingEmail
from notification.errors import DeliveryUnavailable, MessageRejected


class SmtpPool:
    """An `EmailChannel` over SMTP."""

    def __init__(self, host: str, port: int, *, size: int = 4, timeout_s: float = 30) -> None:
        self.host = host
        self.port = port
        self.timeout_s = timeout_s
        self._idle: asyncio.Queue[aiosmtplib.SMTP] = asyncio.Queue()
        for _ in range(size):
            self._idle.put_nowait(
                aiosmtplib.SMTP(hostname=host, port=port, timeout=timeout_s, start_tls=False)
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
                # About this recipient, not the server: even a temporary 4xx (greylisting, a
                # full mailbox) is reported for this message alone, so the rest of its batch
                # is not sent again.
                raise MessageRejected(str(error)) from error
            except aiosmtplib.SMTPResponseException as error:
                if 500 <= error.code < 600:
                    raise MessageRejected(f"{error.code} {error.message}") from error
                raise DeliveryUnavailable(f"{error.code} {error.message}") from error
            except (
                aiosmtplib.SMTPServerDisconnected,
                aiosmtplib.SMTPConnectError,
                OSError,
            ) as error:
                with contextlib.suppress(Exception):
                    client.close()
                if attempt == 2:
                    raise DeliveryUnavailable(f"mail server unreachable: {error}") from error

    async def close(self) -> None:
        while not self._idle.empty():
            client = self._idle.get_nowait()
            if client.is_connected:
                with contextlib.suppress(Exception):
                    await client.quit()
