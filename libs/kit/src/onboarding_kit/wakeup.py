"""Waking a loop when rows it works on are committed: PostgreSQL's LISTEN/NOTIFY for low
latency (a NOTIFY sent in a transaction is delivered at its commit, to every replica), with
polling as the fallback when the listening connection cannot be had or was lost."""

import asyncio
import contextlib
import logging

import asyncpg

log = logging.getLogger(__name__)


class Wakeup:
    """Set by a NOTIFY on `channel`, or by `set()` within the process; `wait` returns at
    the first of a wake-up or `timeout_s`."""

    def __init__(self, dsn: str, channel: str) -> None:
        self.dsn = dsn
        self.channel = channel
        self._event = asyncio.Event()
        self._listener: asyncpg.Connection | None = None

    def set(self) -> None:
        self._event.set()

    async def wait(self, timeout_s: float) -> None:
        """Until woken or `timeout_s` passed; then the next wait waits again. A lost
        listening connection is opened again first."""
        if self._listener is None or self._listener.is_closed():
            await self._listen()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._event.wait(), timeout_s)
        self._event.clear()

    async def _listen(self) -> None:
        try:
            conn = await asyncpg.connect(self.dsn)
            await conn.add_listener(self.channel, lambda *_: self._event.set())
        except (OSError, asyncpg.PostgresError):
            log.warning("cannot LISTEN; polling only until it can", extra={"channel": self.channel})
            self._listener = None
            return
        self._listener = conn

    async def close(self) -> None:
        if self._listener is not None and not self._listener.is_closed():
            with contextlib.suppress(Exception):
                await self._listener.close()
        self._listener = None


async def notify(conn: asyncpg.Connection, channel: str) -> None:
    """Wake the listeners of `channel` once the caller's transaction commits."""
    await conn.execute("SELECT pg_notify($1, '')", channel)
