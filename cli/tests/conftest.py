"""A test double of the enrolment API, served for real by uvicorn on a free port.

It implements only what `onboard` calls, with canned, stateful behaviour: an import's funnel
advances one step on each poll, enrolments come back a page at a time behind a cursor."""

import csv
import hashlib
import io
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import pytest
import uvicorn
from fastapi import Depends, FastAPI, Header, HTTPException, Request
from fastapi.responses import StreamingResponse
from onboarding_cli.main import app as cli_app
from typer.testing import CliRunner, Result

API_KEY = "test-key"
PAGE_CAP = 25  # the double never returns more than this many enrolments per page


@dataclass
class Upload:
    sha256: str
    size: int
    content_type: str
    content_length: str | None
    params: dict[str, str]


@dataclass
class FakeImport:
    summary: dict[str, Any]
    polls: int = 0
    stuck: bool = False  # the funnel never settles (an invitation service that is down)


@dataclass
class FakeState:
    imports: dict[str, FakeImport] = field(default_factory=dict)
    uploads: list[Upload] = field(default_factory=list)
    enrolments: list[dict[str, Any]] = field(default_factory=list)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def funnel_of(self, found: FakeImport) -> dict[str, int]:
        """Poll n: n+1 invited, n emailed, the last person's email failing; then one
        registers. With `stuck`, invitations stop at one."""
        found.polls += 1
        n, enrolled = found.polls, found.summary["enrolled"]
        invited = min(enrolled, 1 if found.stuck else n)
        failed = 1 if invited == enrolled and n > enrolled else 0
        emailed = min(invited - failed, max(0, n - 1))
        return {
            "enrolled": enrolled,
            "invited": invited,
            "emailed": emailed,
            "registered": 1 if emailed == enrolled - 1 and enrolled else 0,
            "active": 0,
            "expired": 0,
            "cancelled": 0,
            "failed": failed,
        }


def _check_rows(text: str) -> tuple[int, list[dict[str, Any]]]:
    lines = text.splitlines()
    reader = csv.DictReader(io.StringIO(text))
    errors, total = [], 0
    for row in reader:
        total += 1
        line = reader.line_num
        if "@" not in (row.get("email") or ""):
            errors.append(
                {
                    "line": line,
                    "field": "email",
                    "reason": "not an email address",
                    "raw": lines[line - 1],
                }
            )
        elif not (row.get("name") or "").strip():
            errors.append(
                {"line": line, "field": "name", "reason": "is empty", "raw": lines[line - 1]}
            )
    return total, errors


def make_api(state: FakeState) -> FastAPI:
    api = FastAPI()

    def tenant(authorization: Annotated[str | None, Header()] = None) -> str:
        if authorization != f"Bearer {API_KEY}":
            raise HTTPException(401, "unknown API key")
        return "tenant-1"

    Tenant = Annotated[str, Depends(tenant)]

    @api.middleware("http")
    async def record(request: Request, call_next: Any) -> Any:
        state.requests.append((request.url.path, dict(request.query_params)))
        return await call_next(request)

    @api.post("/v1/imports", status_code=201)
    async def import_csv(request: Request, _: Tenant, course: str) -> dict[str, Any]:
        digest, size, head = hashlib.sha256(), 0, bytearray()
        small = int(request.headers.get("content-length") or 0) <= 1 << 20
        async for chunk in request.stream():
            digest.update(chunk)
            size += len(chunk)
            if small:  # a big file is only hashed, so memory use is the client's
                head += chunk
        state.uploads.append(
            Upload(
                digest.hexdigest(),
                size,
                request.headers.get("content-type", ""),
                request.headers.get("content-length"),
                dict(request.query_params),
            )
        )
        if not small:
            total, errors = 100_000, []
        else:
            total, errors = _check_rows(bytes(head).decode())
        if total < 0:
            raise HTTPException(422, "the file has no header row")
        import_id = str(uuid.uuid4())
        summary = {
            "id": import_id,
            "course": course,
            "status": "completed_with_errors" if errors else "completed",
            "total_rows": total,
            "enrolled": total - len(errors),
            "failed": len(errors),
            "errors": errors,
        }
        state.imports[import_id] = FakeImport(summary, stuck=course == "stuck")
        return summary

    @api.get("/v1/imports/{import_id}")
    async def get_import(import_id: str, _: Tenant) -> dict[str, Any]:
        if import_id not in state.imports:
            raise HTTPException(404, "no such import")
        return state.imports[import_id].summary

    @api.get("/v1/funnel")
    async def funnel(_: Tenant, import_id: str | None = None) -> dict[str, int]:
        if import_id in state.imports:
            return state.funnel_of(state.imports[import_id])
        return {
            "enrolled": 200,
            "invited": 200,
            "emailed": 150,
            "registered": 50,
            "active": 40,
            "expired": 2,
            "cancelled": 0,
        }

    @api.get("/v1/enrolments")
    async def enrolments(
        _: Tenant, limit: int = 50, cursor: str | None = None, status: str | None = None
    ) -> dict[str, Any]:
        rows = [e for e in state.enrolments if status is None or e["status"] == status]
        start = int(cursor or 0)
        page = rows[start : start + min(limit, PAGE_CAP)]
        end = start + len(page)
        return {"items": page, "next_cursor": str(end) if end < len(rows) else None}

    @api.get("/v1/enrolments.csv")
    async def enrolments_csv(_: Tenant) -> StreamingResponse:
        async def lines() -> Any:
            yield b"id,email,name,status\n"
            for e in state.enrolments:
                yield f"{e['id']},{e['email']},{e['name']},{e['status']}\n".encode()

        return StreamingResponse(lines(), media_type="text/csv")

    return api


@dataclass
class FakeApi:
    url: str
    state: FakeState
    key: str = API_KEY

    def run(self, *args: str, key: str = API_KEY) -> Result:
        """`onboard ARGS --url <the double> --api-key KEY`, in-process."""
        return CliRunner().invoke(cli_app, [*args, "--url", self.url, "--api-key", key])


@pytest.fixture(scope="session")
def _server() -> Iterator[tuple[str, FakeState]]:
    state = FakeState()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(make_api(state), log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 5
    while not server.started:
        assert time.monotonic() < deadline, "the test API did not start"
        time.sleep(0.01)
    yield f"http://127.0.0.1:{port}", state
    server.should_exit = True
    thread.join(5)
    sock.close()


@pytest.fixture
def api(_server: tuple[str, FakeState]) -> FakeApi:
    url, state = _server
    state.__init__()  # type: ignore[misc]  # a clean slate for each test
    return FakeApi(url, state)


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No .run/env of the real checkout and no real settings leak into a test."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ENROLMENT_URL", raising=False)
    monkeypatch.delenv("ONBOARDING_API_KEY", raising=False)
    monkeypatch.setenv("COLUMNS", "160")
