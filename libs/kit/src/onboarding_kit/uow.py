"""Units of work: one database transaction, the stores that work inside it, the outbox.

A service defines its transaction type (a `Transaction` subclass holding its stores, one
per aggregate) and gets a `UnitOfWork` of it from the runtime. A use case owns its
transaction:

    async with uow() as tx:
        enrolment = await tx.enrolments.get(...)
        await tx.publish([EnrolmentCancelled.new(origin, data)])

It commits when the block ends normally and rolls back when it raises. Event handlers
receive the same transaction type from the consumer, inside the consumer's transaction (so
the inbox row and the handler's effects commit together).
"""

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Generic, TypeVar

import asyncpg
from onboarding_contracts import Envelope
from onboarding_contracts.serialised import SerialisedEvent

from onboarding_kit import outbox


class Transaction:
    """The connection of one open transaction, and the outbox events are written to."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def publish(self, events: Sequence[Envelope | SerialisedEvent]) -> None:
        """Write events to the outbox: they are published if, and only if, this commits."""
        await outbox.append(self.conn, events)


Tx = TypeVar("Tx", bound=Transaction)


class UnitOfWork(Generic[Tx]):
    """A factory of transactions of one type over a pool (looked up when a transaction
    starts, so a unit of work can be built before the service has started)."""

    def __init__(
        self, pool: Callable[[], asyncpg.Pool], transaction: Callable[[asyncpg.Connection], Tx]
    ) -> None:
        self._pool = pool
        self.transaction = transaction

    @asynccontextmanager
    async def __call__(self) -> AsyncIterator[Tx]:
        async with self._pool().acquire() as conn, conn.transaction():
            yield self.transaction(conn)

    @asynccontextmanager
    async def statements(self) -> AsyncIterator[Tx]:
        """The same stores over a connection with no transaction open: each statement
        commits on its own. For reads, and for statements each atomic by itself, where the
        two round trips of a transaction would double the cost (never to publish)."""
        async with self._pool().acquire() as conn:
            yield self.transaction(conn)
