"""The SMTP adapter of the email channel: what each answer of a mail server becomes.

Against an in-process aiosmtpd server (no database, no broker)."""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from notification.channels.email.smtp import SmtpPool
from notification.domain.mime import OutgoingEmail
from notification.errors import DeliveryDeferred, DeliveryUnavailable, MessageRejected

MESSAGE = OutgoingEmail(
    sender="no-reply@onboarding.local",
    recipient="ann@example.org",
    data=b"Subject: hello\r\n\r\nHello Ann\r\n",
)


class MailServer:
    """Accepts every message, unless told how to answer a recipient or the data."""

    def __init__(self) -> None:
        self.recipient_reply: dict[str, str] = {}
        self.data_reply = "250 Message accepted for delivery"
        self.received: list[bytes] = []

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        reply = self.recipient_reply.get(address, "250 OK")
        if reply.startswith("250"):
            envelope.rcpt_tos.append(address)
        return reply

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.data_reply.startswith("250"):
            self.received.append(envelope.original_content or envelope.content)
        return self.data_reply


async def listening(handler: MailServer, port: int) -> Controller:
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    await asyncio.to_thread(controller.start)
    return controller


@pytest.fixture
async def handler(unused_port: int) -> AsyncIterator[MailServer]:
    handler = MailServer()
    controller = await listening(handler, unused_port)
    yield handler
    await asyncio.to_thread(controller.stop)


@pytest.fixture
async def pool(handler: MailServer, unused_port: int) -> AsyncIterator[SmtpPool]:
    pool = SmtpPool("127.0.0.1", unused_port, size=1, timeout_s=5)
    yield pool
    await pool.close()


async def test_an_accepted_message_is_handed_over_as_rendered(handler, pool) -> None:
    await pool.send(MESSAGE)
    await pool.send(MESSAGE)  # on the same pooled connection
    assert handler.received == [MESSAGE.data, MESSAGE.data]


async def test_a_permanent_refusal_rejects_the_message(handler, pool) -> None:
    handler.data_reply = "554 Transaction failed"
    with pytest.raises(MessageRejected, match="554"):
        await pool.send(MESSAGE)


async def test_a_temporary_refusal_defers_the_message(handler, pool) -> None:
    handler.data_reply = "451 Try again later"
    with pytest.raises(DeliveryDeferred, match="451") as raised:
        await pool.send(MESSAGE)
    assert not raised.value.slow_down
    assert not isinstance(raised.value, DeliveryUnavailable), "the server answered"
    handler.data_reply = "250 OK"
    await pool.send(MESSAGE)
    assert handler.received == [MESSAGE.data]


async def test_a_421_defers_and_asks_to_slow_down_then_a_new_connection_works(
    handler, pool
) -> None:
    handler.data_reply = "421 Too many messages, closing"
    with pytest.raises(DeliveryDeferred, match="421") as raised:
        await pool.send(MESSAGE)
    assert raised.value.slow_down
    handler.data_reply = "250 OK"
    await pool.send(MESSAGE)
    assert handler.received == [MESSAGE.data]


async def test_a_recipient_refused_for_good_fails_that_message_alone(handler, pool) -> None:
    handler.recipient_reply[MESSAGE.recipient] = "550 No such user"
    with pytest.raises(MessageRejected, match="550 No such user"):
        await pool.send(MESSAGE)
    handler.recipient_reply.clear()
    await pool.send(MESSAGE)  # the connection is still good for the next message
    assert handler.received == [MESSAGE.data]


async def test_a_recipient_refused_for_now_defers_that_message(handler, pool) -> None:
    handler.recipient_reply[MESSAGE.recipient] = "450 Mailbox busy"
    with pytest.raises(DeliveryDeferred, match="450 Mailbox busy"):
        await pool.send(MESSAGE)


async def test_an_unreachable_server_means_try_later(unused_port: int) -> None:
    pool = SmtpPool("127.0.0.1", unused_port, size=1, timeout_s=5)
    with pytest.raises(DeliveryUnavailable, match="unreachable"):
        await pool.send(MESSAGE)
    await pool.close()


async def test_a_pooled_connection_the_server_dropped_is_opened_again(unused_port: int) -> None:
    handler = MailServer()
    pool = SmtpPool("127.0.0.1", unused_port, size=1, timeout_s=5)
    first = await listening(handler, unused_port)
    await pool.send(MESSAGE)
    await asyncio.to_thread(first.stop)  # drops the pooled connection
    second = await listening(handler, unused_port)
    try:
        await pool.send(MESSAGE)
    finally:
        await pool.close()
        await asyncio.to_thread(second.stop)
    assert handler.received == [MESSAGE.data, MESSAGE.data]
