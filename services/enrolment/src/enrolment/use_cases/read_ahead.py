"""Batches of a slow iterator (a CSV parsed and validated row by row), each read in a worker
thread while the caller writes the one before.

The event loop spends a batch's write mostly waiting for PostgreSQL, holding no GIL: the next
batch is parsed meanwhile instead of after. Two batches at most are held at once (the one
being written, the one being read), so memory stays that of two batches however long the
file. Batches come in the iterator's order; an error raised while reading one is raised
where that batch is awaited, after the batches before it were handed over.
"""

import asyncio
import itertools
from collections.abc import AsyncGenerator, Iterable
from typing import TypeVar

T = TypeVar("T")


async def batches_read_ahead(items: Iterable[T], size: int) -> AsyncGenerator[list[T], None]:
    """Lists of up to `size` of `items` in order, the next one read in a thread while the
    caller holds the current one."""
    iterator = iter(items)

    def read() -> list[T]:
        return list(itertools.islice(iterator, size))

    pending = asyncio.ensure_future(asyncio.to_thread(read))
    try:
        while batch := await pending:
            pending = asyncio.ensure_future(asyncio.to_thread(read))
            yield batch
    finally:
        # Left early (an error writing, a cancelled request): the thread may still be in the
        # file, which the caller closes once we return; wait for it, and drop what it read.
        if not pending.done():
            await asyncio.wait([pending])
        if not pending.cancelled():
            pending.exception()  # retrieved, so that it is not reported as never awaited
