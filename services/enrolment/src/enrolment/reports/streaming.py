"""A PDF rendered off the event loop and streamed: a worker thread renders it while pulling
the people from the loop a page at a time (the rows in memory stay one page), writes it page
by page to a temporary file (the writer keeps nothing of a page once written), and the file
is sent in chunks."""

import asyncio
import tempfile
import threading
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterator
from contextlib import suppress
from typing import IO, TypeVar

Batch = TypeVar("Batch")

CHUNK_BYTES = 256 * 1024


class _Stopped(Exception):
    """The rendering was abandoned (the request went away)."""


async def render_to_file(
    pages: AsyncGenerator[Batch, None],
    render: Callable[[Iterator[Batch], IO[bytes]], object],
) -> IO[bytes]:
    """Run `render(batches, file)` in a worker thread, `batches` being `pages` read on the
    event loop one at a time as the thread asks for them; return the file rewound. The
    caller closes it (`file_chunks` does)."""
    loop = asyncio.get_running_loop()
    stopped = threading.Event()

    def batches() -> Iterator[Batch]:
        while True:
            if stopped.is_set():
                raise _Stopped()
            page = asyncio.run_coroutine_threadsafe(_next(pages), loop).result()
            if page is None:
                return
            yield page

    spool = tempfile.TemporaryFile()  # noqa: SIM115  # closed by the caller
    try:
        await asyncio.to_thread(render, batches(), spool)
        spool.seek(0)
    except BaseException:
        stopped.set()
        spool.close()
        raise
    finally:
        # Abandoned mid-page, the page being read finishes on its own (its transaction
        # closes as usual): the generator cannot be closed while it runs.
        with suppress(RuntimeError):
            await pages.aclose()
    return spool


async def _next(pages: AsyncGenerator[Batch, None]) -> Batch | None:
    try:
        return await anext(pages)
    except StopAsyncIteration:
        return None


def size_of(spool: IO[bytes]) -> int:
    spool.seek(0, 2)
    size = spool.tell()
    spool.seek(0)
    return size


async def file_chunks(spool: IO[bytes]) -> AsyncIterator[bytes]:
    """The file's bytes from where it is, read in a worker thread; it is closed after."""
    try:
        while chunk := await asyncio.to_thread(spool.read, CHUNK_BYTES):
            yield chunk
    finally:
        spool.close()
