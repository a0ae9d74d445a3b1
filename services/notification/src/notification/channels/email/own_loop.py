"""An email channel run on an event loop of its own, in a thread.

An SMTP exchange is a few short round trips per message (MAIL, RCPT, DATA, the data), each
a turn of the event loop. On the service's loop each of those turns waits behind whatever
else is ready there (decoding a batch of events, rendering messages, recording outcomes),
and while a large import is queued that wait, not the mail server, sets the pace. On a
loop of its own the exchange is answered as soon as the server replies."""

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, Protocol, TypeVar

from notification.domain.mime import OutgoingEmail

T = TypeVar("T")


class ClosableEmailChannel(Protocol):
    async def send(self, message: OutgoingEmail) -> None: ...

    async def close(self) -> None: ...


class EmailOnOwnLoop:
    """`inner`, used only from its own loop; `send` and `close` may be awaited from any."""

    def __init__(self, inner: ClosableEmailChannel, name: str = "email-channel") -> None:
        self.inner = inner
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name=name, daemon=True)
        self._thread.start()

    async def send(self, message: OutgoingEmail) -> None:
        await self._on_own_loop(self.inner.send(message))

    async def close(self) -> None:
        if not self._thread.is_alive():
            return
        try:
            await self._on_own_loop(self.inner.close())
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            await asyncio.to_thread(self._thread.join, 5)
            if not self._thread.is_alive():
                self._loop.close()

    async def _on_own_loop(self, work: Coroutine[Any, Any, T]) -> T:
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(work, self._loop))
