"""A test double of the enrolment API, served for real by uvicorn on a free port.

It implements only what `onboard` calls, with canned, stateful behaviour: an import's funnel
advances one step on each poll, enrolments come back a page at a time behind a cursor, errors
are RFC 9457 problem details. Every JSON answer it gives is recorded and, when the test ends,
parsed with the CLI's own models (`onboarding_cli.api_models`), so the double cannot drift
from what the CLI reads; `test_cli_openapi_contract.py` holds those models, and the double's
answers, to the real service's OpenAPI document."""

import csv
import hashlib
import io
import json
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
from fastapi import Depends, FastAPI, Header, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from onboarding_cli.api_models import PROBLEM_MEDIA_TYPE, ROUTES, Problem, SettingsBody
from onboarding_cli.main import app as cli_app
from pydantic import ValidationError
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from typer.testing import CliRunner, Result

API_KEY = "test-key"
PAGE_CAP = 25  # the double never returns more than this many enrolments per page
CREATED_AT = "2025-01-02T03:04:05Z"


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
    pending: int = 0  # GETs that still find the import processing


@dataclass(frozen=True)
class Answer:
    """One JSON answer of the double, as the CLI received it."""

    method: str
    path: str  # the route's path template
    status: int
    media_type: str
    body: Any


@dataclass
class FakeState:
    invite_policy: str = "auto"  # the tenant's
    imports: dict[str, FakeImport] = field(default_factory=dict)
    uploads: list[Upload] = field(default_factory=list)
    enrolments: list[dict[str, Any]] = field(default_factory=list)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    answers: list[Answer] = field(default_factory=list)

    def funnel_of(self, found: FakeImport) -> dict[str, int]:
        """Poll n: n+1 invited, n emailed, the last person's email failing; then one
        registers. With `stuck`, invitations stop at one; with the manual invite policy
        nobody is invited at all."""
        found.polls += 1
        n, enrolled = found.polls, found.summary["enrolled"]
        if found.summary["invite_policy"] == "manual":
            invited = 0
        else:
            invited = min(enrolled, 1 if found.stuck else n)
        failed = 1 if invited == enrolled and n > enrolled else 0
        emailed = min(invited - failed, max(0, n - 1))
        return {
            "enrolled": enrolled,
            "invited": invited,
            "emailed": emailed,
            "registered": 1 if invited and emailed == enrolled - 1 and enrolled else 0,
            "active": 0,
            "expired": 0,
            "cancelled": 0,
            "failed": failed,
        }

    @staticmethod
    def enrolment(i: int, **fields: Any) -> dict[str, Any]:
        """An enrolment as `GET /v1/enrolments` lists it, every field the API documents."""
        return {
            "id": f"e{i}",
            "email": f"p{i}@example.org",
            "name": f"Person {i}",
            "external_id": str(i),
            "role": "learner",
            "course": "ielts",
            "cohort": None,
            "channel": "email",
            "phone": None,
            "status": "enrolled",
            "import_id": None,
            "invitation_id": None,
            "account_id": None,
            "invited_at": None,
            "emailed_at": None,
            "registered_at": None,
            "activated_at": None,
            "cancelled_at": None,
            "created_at": CREATED_AT,
            **fields,
        }

    def misfits(self) -> list[str]:
        """The answers the CLI's models would not accept: the double has drifted."""
        routes = {(route.method, route.path): route for route in ROUTES}
        found = []
        for answer in self.answers:
            where = f"{answer.method} {answer.path} ({answer.status})"
            route = routes.get((answer.method, answer.path))
            if route is None:
                found.append(f"{where}: a route the CLI does not call")
                continue
            if answer.status >= 400:
                model: Any = Problem
                if answer.media_type != PROBLEM_MEDIA_TYPE:
                    found.append(f"{where}: an error as {answer.media_type}, not problem+json")
            else:
                model = route.answer
            try:  # strictly: "3" for an int would pass the CLI, yet is not what the API sends
                if model is not None:
                    model.model_validate_json(json.dumps(answer.body), strict=True)
            except ValidationError as error:
                found.append(f"{where}: {error}")
        return found


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


def problem(
    status: int, detail: str | None = None, errors: list[dict[str, str]] | None = None
) -> JSONResponse:
    """An RFC 9457 problem, as the enrolment API answers an error: for bad fields, each in
    `errors` and all of them in `detail`."""
    titles = {401: "Unauthenticated", 404: "Not found", 409: "Conflict", 422: "Invalid request"}
    errors = errors or []
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": titles.get(status, "Error"),
        "status": status,
        "detail": detail or "; ".join(f"{e['field']}: {e['reason']}" for e in errors),
        "errors": errors,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE)


class Recorder:
    """ASGI middleware: each request's path and query, and each JSON answer with its route."""

    def __init__(self, app: ASGIApp, state: FakeState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        request = Request(scope)
        self.state.requests.append((request.url.path, dict(request.query_params)))
        start: dict[str, Any] = {}
        body = bytearray()

        async def recording(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                headers = {k.decode().lower(): v.decode() for k, v in start["headers"]}
                media_type = headers.get("content-type", "").split(";")[0]
                if media_type.endswith("json"):
                    body.extend(message.get("body", b""))
                    if not message.get("more_body"):
                        route = scope.get("route")
                        self.state.answers.append(
                            Answer(
                                scope["method"],
                                getattr(route, "path", scope["path"]),
                                start["status"],
                                media_type,
                                json.loads(body),
                            )
                        )
            await send(message)

        await self.app(scope, receive, recording)


def make_api(state: FakeState) -> FastAPI:
    api = FastAPI()

    def tenant(authorization: Annotated[str | None, Header()] = None) -> str:
        if authorization != f"Bearer {API_KEY}":
            raise HTTPException(401, "unknown API key")
        return "tenant-1"

    Tenant = Annotated[str, Depends(tenant)]

    @api.exception_handler(HTTPException)
    async def refused(_: Request, error: HTTPException) -> JSONResponse:
        return problem(error.status_code, str(error.detail))

    @api.exception_handler(RequestValidationError)
    async def invalid(_: Request, error: RequestValidationError) -> JSONResponse:
        errors = [
            {
                "field": ".".join(str(p) for p in e["loc"][1:]) or str(e["loc"][0]),
                "reason": e["msg"],
            }
            for e in error.errors()
        ]
        return problem(422, errors=errors)

    @api.post("/v1/imports", status_code=201)
    async def import_csv(
        request: Request,
        _: Tenant,
        course: Annotated[str, Query(min_length=1)],
        cohort: str | None = None,
        invite: str | None = None,
    ) -> Any:
        if cohort == "nope":  # as the real API refuses a cohort the course does not have
            reason = f"unknown cohort {cohort!r} in course {course!r}"
            return problem(422, errors=[{"field": "cohort", "reason": reason}])
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
        import_id = str(uuid.uuid4())
        enrolled = total - len(errors)
        summary = {
            "id": import_id,
            "course": course,
            "cohort": cohort,
            "invite_policy": invite or state.invite_policy,
            "status": (
                "completed" if not errors else "completed_with_errors" if enrolled else "failed"
            ),
            "total_rows": total,
            "enrolled": enrolled,
            "failed": len(errors),
            "errors": errors,
        }
        state.imports[import_id] = FakeImport(summary, stuck=course == "stuck")
        return summary

    @api.get("/v1/imports/{import_id}")
    async def get_import(import_id: str, _: Tenant) -> dict[str, Any]:
        if import_id not in state.imports:
            raise HTTPException(404, "no such import")
        found = state.imports[import_id]
        if found.pending:
            found.pending -= 1
            return {**found.summary, "status": "processing"}
        return found.summary

    @api.get("/v1/imports/{import_id}/errors.csv")
    async def import_errors(import_id: str, _: Tenant) -> StreamingResponse:
        if import_id not in state.imports:
            raise HTTPException(404, "no such import")
        rows = state.imports[import_id].summary["errors"]
        text = "line,column,reason,row\r\n" + "".join(
            f"{e['line']},{e['field'] or ''},{e['reason']},{e['raw']}\r\n" for e in rows
        )
        return StreamingResponse(iter([text]), media_type="text/csv")

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
            "failed": 0,
            "cancelled": 0,
        }

    @api.get("/v1/enrolments")
    async def enrolments(
        _: Tenant,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        cursor: str | None = None,
        status: str | None = None,
    ) -> dict[str, Any]:
        rows = [e for e in state.enrolments if status is None or e["status"] == status]
        start = int(cursor or 0)
        page = rows[start : start + min(limit, PAGE_CAP)]
        end = start + len(page)
        return {"items": page, "next_cursor": str(end) if end < len(rows) else None}

    @api.get("/v1/enrolments.csv")
    async def enrolments_csv(_: Tenant) -> StreamingResponse:
        def line(values: list[str]) -> bytes:
            buffer = io.StringIO()
            csv.writer(buffer, lineterminator="\r\n").writerow(values)
            return buffer.getvalue().encode()

        async def lines() -> Any:
            yield line(["id", "email", "name", "status"])
            for e in state.enrolments:
                yield line([e["id"], e["email"], e["name"], e["status"]])

        return StreamingResponse(lines(), media_type="text/csv")

    @api.get("/v1/settings")
    async def get_settings(_: Tenant) -> dict[str, Any]:
        return {"invite_policy": state.invite_policy}

    @api.put("/v1/settings")
    async def put_settings(body: SettingsBody, _: Tenant) -> dict[str, Any]:
        state.invite_policy = body.invite_policy
        return {"invite_policy": state.invite_policy}

    api.add_middleware(Recorder, state=state)
    return api


@dataclass
class FakeApi:
    url: str
    state: FakeState
    app: FastAPI
    key: str = API_KEY

    def run(self, *args: str, key: str = API_KEY) -> Result:
        """`onboard ARGS --url <the double> --api-key KEY`, in-process."""
        return CliRunner().invoke(cli_app, [*args, "--url", self.url, "--api-key", key])


@pytest.fixture(scope="session")
def _server() -> Iterator[tuple[str, FakeState, FastAPI]]:
    state = FakeState()
    app = make_api(state)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 5
    while not server.started:
        assert time.monotonic() < deadline, "the test API did not start"
        time.sleep(0.01)
    yield f"http://127.0.0.1:{port}", state, app
    server.should_exit = True
    thread.join(5)
    sock.close()


@pytest.fixture
def api(_server: tuple[str, FakeState, FastAPI]) -> Iterator[FakeApi]:
    url, state, app = _server
    state.__init__()  # type: ignore[misc]  # a clean slate for each test
    yield FakeApi(url, state, app)
    misfits = state.misfits()
    if misfits:
        pytest.fail("the test double answered what the CLI cannot read:\n" + "\n".join(misfits))


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No .run/env of the real checkout and no real settings leak into a test."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ENROLMENT_URL", raising=False)
    monkeypatch.delenv("ONBOARDING_API_KEY", raising=False)
    monkeypatch.setenv("COLUMNS", "160")
