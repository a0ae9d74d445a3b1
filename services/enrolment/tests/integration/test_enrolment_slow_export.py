"""A slow export holds no database connection while its reader waits: it reads a page per
short transaction, so slow clients cannot drain the pool the subscribers and the relay
share with the routes."""

import asyncio
from typing import Any

import asyncpg
import pytest
from enrolment.domain.selection import Selection
from enrolment.store import EnrolmentTransaction
from enrolment.store.enrolments import Enrolment
from enrolment.use_cases.queries import export_enrolments
from fastapi import FastAPI
from onboarding_devtools.testing import query
from onboarding_kit.runtime import runtime_of
from onboarding_kit.uow import UnitOfWork
from starlette.types import Message

from .helpers import EXPORT_HEADER, KEY, enrol, parse_csv

pytestmark = pytest.mark.integration

PAGE = 2


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    # The smallest pool the service runs with, and pages of two rows.
    return {"db_pool_size": 2, "export_page_size": PAGE}


class SlowDownload:
    """A GET of the app by a client that stops reading after `read_first` chunks of the
    body until `resume()`: the server's sends wait, as they do for a slow reader."""

    def __init__(self, app: FastAPI, path: str, read_first: int) -> None:
        self.scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.4"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "root_path": "",
            "query_string": b"",
            "headers": [(b"host", b"service"), (b"authorization", f"Bearer {KEY}".encode())],
            "client": ("127.0.0.1", 50000),
            "server": ("service", 80),
        }
        self.app = app
        self.read_first = read_first
        self.status: int | None = None
        self.chunks: list[bytes] = []
        self.waiting = asyncio.Event()
        self._resumed = asyncio.Event()
        self._done = asyncio.Event()
        self._requested = False

    async def start(self) -> None:
        self.task = asyncio.create_task(self.app(self.scope, self._receive, self._send))
        async with asyncio.timeout(10):
            await self.waiting.wait()

    async def finish(self) -> str:
        self._resumed.set()
        async with asyncio.timeout(10):
            await self.task
        return b"".join(self.chunks).decode()

    async def _receive(self) -> Message:
        if not self._requested:
            self._requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await self._done.wait()
        return {"type": "http.disconnect"}

    async def _send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            return
        self.chunks.append(message.get("body", b""))
        if len(self.chunks) == self.read_first:
            self.waiting.set()
            await self._resumed.wait()
        if not message.get("more_body", False):
            self._done.set()


async def test_a_reader_paused_mid_export_holds_no_connection_and_gets_it_all_in_order(
    app: FastAPI, client
) -> None:
    created = [(await enrol(client, f"p{n}@example.org"))["id"] for n in range(7)]
    pool = runtime_of(app).pool
    assert pool.get_max_size() == 2

    # The header, then the first page: the client stops reading there.
    download = SlowDownload(app, "/v1/enrolments.csv", read_first=2)
    await download.start()
    assert download.status == 200

    async with asyncio.timeout(5):
        # Every connection of the pool can be had while the export waits on its reader...
        async with pool.acquire() as one, pool.acquire() as two:
            assert (await one.fetchval("SELECT 1"), await two.fetchval("SELECT 2")) == (1, 2)
        # ...and other requests go through.
        listed = await client.get("/v1/enrolments")
        assert listed.status_code == 200 and len(listed.json()["items"]) == 7
        during = await enrol(client, "during@example.org")
    assert not download.task.done()

    rows = parse_csv(await download.finish())
    assert rows[0] == EXPORT_HEADER
    # Complete and in creation order, page after page; read page by page, the export also
    # shows who was enrolled while it ran.
    assert [row[0] for row in rows[1:]] == [*created, during["id"]]
    assert [row[1] for row in rows[1:3]] == ["p0@example.org", "p1@example.org"]


async def test_each_page_of_an_export_is_read_under_a_statement_timeout(
    app: FastAPI, client, database: str
) -> None:
    for n in range(3):
        await enrol(client, f"p{n}@example.org")
    [tenant] = await query(database, "SELECT id FROM tenants WHERE name = 'acme'")
    pool = runtime_of(app).pool
    timeouts: list[str] = []

    class Watched(EnrolmentTransaction):
        """Notes the statement timeout each page query runs under."""

        def __init__(self, conn: asyncpg.Connection) -> None:
            super().__init__(conn)
            read_page = self.enrolments.page

            async def page(*args: Any) -> list[Enrolment]:
                timeouts.append(await conn.fetchval("SHOW statement_timeout"))
                return await read_page(*args)

            self.enrolments.page = page  # type: ignore[method-assign]

    watched = UnitOfWork(lambda: pool, Watched)
    export = export_enrolments(watched, tenant["id"], Selection(), PAGE, 1500)
    pages = [len(page) async for page in export]
    assert pages == [2, 1]
    assert timeouts == ["1500ms", "1500ms"]
    # Set for the transaction only: the pooled connections keep their own default.
    assert await pool.fetchval("SHOW statement_timeout") == "0"

    uow = UnitOfWork(lambda: pool, EnrolmentTransaction)
    with pytest.raises(asyncpg.QueryCanceledError):
        async with uow() as tx:
            await tx.limit_statement_time(50)
            await tx.conn.execute("SELECT pg_sleep(2)")
