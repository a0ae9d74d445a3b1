"""A test double of the enrolment API, served for real by uvicorn on a free port.

It implements only what `onboard` calls, with canned, stateful behaviour: an import's funnel
advances one step on each poll, enrolments come back a page at a time behind a cursor, errors
are RFC 9457 problem details. Every JSON answer it gives is recorded and, when the test ends,
parsed with the CLI's own models (`onboarding_cli.api_models`), so the double cannot drift
from what the CLI reads; `test_cli_openapi_contract.py` holds those models, and the double's
answers, to the real service's OpenAPI document.

A second double, of the operations API every service answers (`onboard dlq`), runs once per
service, each with its own dead letters; its answers are held to `onboarding_cli.ops_models`
the same way.

`onboard flow` scrapes every service's `GET /metrics`: the enrolment double serves it too,
and a third double serves only that, once for each of the other services (`FakeFlow`)."""

import csv
import hashlib
import io
import json
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path as FilePath
from typing import Annotated, Any

import pytest
import uvicorn
from fastapi import Depends, FastAPI, Header, HTTPException, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, StreamingResponse
from onboarding_cli.api_models import (
    PROBLEM_MEDIA_TYPE,
    ROUTES,
    ActivateIn,
    CredentialsIn,
    Problem,
    RemindIn,
    Route,
    SettingsChanges,
)
from onboarding_cli.config import SERVICES, url_var
from onboarding_cli.main import app as cli_app
from onboarding_cli.ops_models import LETTER_ID_PATTERN, OPS_ROUTES, OPS_TOKEN_HEADER
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
class Recorded:
    """What a double was asked (each request's path and query) and answered (in JSON)."""

    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    answers: list[Answer] = field(default_factory=list)

    def misfits(self) -> list[str]:
        return misfits(self.answers, ROUTES)


def misfits(answers: Sequence[Answer], routes: Sequence[Route]) -> list[str]:
    """The answers the CLI's models would not accept: the double has drifted."""
    by_path = {(route.method, route.path): route for route in routes}
    found = []
    for answer in answers:
        where = f"{answer.method} {answer.path} ({answer.status})"
        route = by_path.get((answer.method, answer.path))
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


DEFAULT_SETTINGS = {
    "invitation_ttl_hours": 24.0,
    "max_resends": 3,
    "self_service_resend": False,
    "reminder_after_hours": None,
    "max_reminders": 2,
    "activation": "auto",
    "username_source": "chosen",
    "sender_name": None,
    "message_intro": None,
    "messages_per_second": None,
}


@dataclass
class FakeMetrics:
    """What a service's `GET /metrics` answers: `texts` one after another, scrape by scrape,
    the last one again once they run out; `None` for an error answer."""

    texts: list[str | None] = field(default_factory=lambda: ["# no metrics yet\n"])
    scrapes: int = 0

    def next_text(self) -> str | None:
        text = self.texts[min(self.scrapes, len(self.texts) - 1)]
        self.scrapes += 1
        return text


def add_metrics_route(api: FastAPI, metrics: Callable[[], FakeMetrics]) -> None:
    """`GET /metrics`, in Prometheus text format as the services answer it, without auth;
    `metrics()` is the double's state at the time (a test's clean slate replaces it)."""

    @api.get("/metrics", include_in_schema=False)
    async def scrape() -> PlainTextResponse:
        text = metrics().next_text()
        if text is None:
            return PlainTextResponse("metrics are broken", status_code=500)
        return PlainTextResponse(text, media_type="text/plain; version=0.0.4; charset=utf-8")


@dataclass
class FakeState(Recorded):
    metrics: FakeMetrics = field(default_factory=FakeMetrics)  # the enrolment service's
    invite_policy: str = "auto"  # the tenant's
    settings: dict[str, Any] = field(default_factory=lambda: dict(DEFAULT_SETTINGS))
    imports: dict[str, FakeImport] = field(default_factory=dict)
    uploads: list[Upload] = field(default_factory=list)
    enrolments: list[dict[str, Any]] = field(default_factory=list)
    invitations: list[dict[str, Any]] = field(default_factory=list)
    reminded: list[dict[str, Any]] = field(default_factory=list)  # each :remind body
    activations: list[dict[str, Any]] = field(default_factory=list)  # each :activate body
    credentials: list[dict[str, Any]] = field(default_factory=list)  # each :credentials body

    def all_settings(self) -> dict[str, Any]:
        return {"invite_policy": self.invite_policy, **self.settings}

    @staticmethod
    def invitation(i: int, **fields: Any) -> dict[str, Any]:
        """An invitation as `GET /v1/invitations` lists it, every field the API documents."""
        return {
            "enrolment_id": f"e{i}",
            "invitation_id": f"inv{i}",
            "email": f"p{i}@example.org",
            "name": f"Person {i}",
            "course": "ielts",
            "cohort": None,
            "import_id": None,
            "status": "pending",
            "send_count": 1,
            "resend_count": 0,
            "reminder_count": 0,
            "last_sent_at": CREATED_AT,
            "expires_at": "2025-01-03T03:04:05Z",
            **fields,
        }

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
            "pending_activation": 0,
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
            "locale": None,
            "middle_name": None,
            "file_number": None,
            "tags": [],
            "flags": {},
            "sections": [],
            "status": "enrolled",
            "failure_reason": None,
            "import_id": None,
            "invitation_id": None,
            "account_id": None,
            "invited_at": None,
            "emailed_at": None,
            "registered_at": None,
            "activated_at": None,
            "cancelled_at": None,
            "reminder_requested_at": None,
            "created_at": CREATED_AT,
            **fields,
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


def problem(
    status: int,
    detail: str | None = None,
    errors: list[dict[str, str]] | None = None,
    **extensions: str,
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
        **extensions,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE)


class Recorder:
    """ASGI middleware: each request's path and query, and each JSON answer with its route."""

    def __init__(self, app: ASGIApp, state: Recorded) -> None:
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
            "pending_activation": 4,
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
        return state.all_settings()

    @api.put("/v1/settings")
    async def put_settings(body: SettingsChanges, _: Tenant) -> dict[str, Any]:
        changes = body.model_dump(exclude_unset=True)
        state.invite_policy = changes.pop("invite_policy", state.invite_policy)
        state.settings.update(changes)
        return state.all_settings()

    @api.get("/v1/invitations")
    async def invitations(
        _: Tenant,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        cursor: str | None = None,
        status: str | None = None,
        email: str | None = None,
    ) -> dict[str, Any]:
        rows = [
            i
            for i in state.invitations
            if (status is None or i["status"] == status) and (email is None or i["email"] == email)
        ]
        start = int(cursor or 0)
        page = rows[start : start + min(limit, PAGE_CAP)]
        end = start + len(page)
        return {"items": page, "next_cursor": str(end) if end < len(rows) else None}

    def invitation_of(enrolment_id: str) -> dict[str, Any]:
        for invitation in state.invitations:
            if invitation["enrolment_id"] == enrolment_id:
                return invitation
        raise HTTPException(404, "no such enrolment")

    @api.post("/v1/enrolments/{enrolment_id}/resend")
    async def resend(enrolment_id: str, _: Tenant) -> Any:
        found = invitation_of(enrolment_id)
        if found["status"] == "accepted":
            return problem(409, "the person has registered already", reason="registered")
        if found["resend_count"] >= state.settings["max_resends"]:
            message = f"resent {found['resend_count']} times already, the most allowed"
            return problem(409, message, reason="limit_reached")
        found["send_count"] += 1
        found["resend_count"] += 1
        found["status"] = "pending"
        return found

    @api.post("/v1/enrolments/{enrolment_id}/remind", status_code=202)
    async def remind_one(enrolment_id: str, _: Tenant) -> Any:
        for enrolment in state.enrolments:
            if enrolment["id"] == enrolment_id:
                if enrolment["status"] not in ("invited", "expired"):
                    return problem(409, f"the enrolment is {enrolment['status']}", reason="no")
                return enrolment
        raise HTTPException(404, "no such enrolment")

    @api.post("/v1/enrolments:remind", status_code=202)
    async def remind(body: RemindIn, _: Tenant) -> dict[str, int]:
        state.reminded.append(body.model_dump(exclude_none=True))
        selected = [i for i in state.invitations if i["course"] == body.course]
        requested = [i for i in selected if i["status"] in ("pending", "expired")]
        return {"requested": len(requested), "skipped": len(selected) - len(requested)}

    @api.post("/v1/enrolments/{enrolment_id}/activate", status_code=202)
    async def activate_one(enrolment_id: str, _: Tenant) -> Any:
        for enrolment in state.enrolments:
            if enrolment["id"] == enrolment_id:
                if enrolment["status"] != "pending_activation":
                    detail = f"the enrolment is {enrolment['status']}"
                    return problem(409, detail, reason="not_registered", message=detail)
                return enrolment
        raise HTTPException(404, "no such enrolment")

    @api.post("/v1/enrolments:activate", status_code=202)
    async def activate(body: ActivateIn, _: Tenant) -> dict[str, int]:
        state.activations.append(body.model_dump(exclude_none=True))
        waiting = [
            e
            for e in state.enrolments
            if e["status"] == "pending_activation"
            and body.course in (None, e["course"])
            and body.cohort in (None, e["cohort"])
            and body.import_id in (None, e["import_id"])
        ]
        return {"requested": len(waiting)}

    @api.post("/v1/enrolments:credentials", status_code=202)
    async def send_credentials(body: CredentialsIn, _: Tenant) -> dict[str, int]:
        """As the API counts them: of the people selected who have not registered, those
        with an account (here: an `account_id`) are active at once; by SMS, those without
        a phone number are passed by; the rest are sent credentials."""
        state.credentials.append(body.model_dump(exclude_none=True))
        selected = [
            e
            for e in state.enrolments
            if e["status"] in ("enrolled", "invited", "expired")
            and body.course in (None, e["course"])
            and body.cohort in (None, e["cohort"])
            and body.import_id in (None, e["import_id"])
            and (body.ids is None or e["id"] in body.ids)
        ]
        known = [e for e in selected if e["account_id"] is not None]
        rest = [e for e in selected if e["account_id"] is None]
        reachable = [e for e in rest if (body.channel or e["channel"]) == "email" or e["phone"]]
        return {
            "requested": len(reachable),
            "activated": len(known),
            "unreachable": len(rest) - len(reachable),
        }

    add_metrics_route(api, lambda: state.metrics)
    api.add_middleware(Recorder, state=state)
    return api


# --- the operations API (dead letters), as every service answers it ----------------------

OPS_TOKEN = "test-ops-token-0123456789"
PARKED_AT = "2025-03-04T05:06:07Z"


@dataclass
class FakeOpsState(Recorded):
    """One service's dead letters: each as `GET .../{letter_id}` shows it, by id; how a
    replay of one goes (`outcomes`: "fails" to be parked again, "undecodable"; else it is
    applied); and the operations tokens the CLI sent."""

    letters: dict[str, dict[str, Any]] = field(default_factory=dict)
    outcomes: dict[str, str] = field(default_factory=dict)
    tokens: list[str | None] = field(default_factory=list)
    replays: list[str] = field(default_factory=list)

    def park(
        self,
        offset: int,
        *,
        topic: str = "onboarding.enrolment.v1.dlt",
        partition: int = 0,
        event: Any = None,
        outcome: str | None = None,
        **fields: Any,
    ) -> str:
        """Park a letter (every field the API documents), and give its id."""
        letter_id = f"{topic}:{partition}:{offset}"
        event_id = f"evt-{offset}"
        if event is None:
            event = {
                "specversion": "1.0",
                "id": event_id,
                "type": "onboarding.enrolment.created",
                "data": {"enrolment_id": f"e{offset}", "email": f"p{offset}@example.org"},
            }
        self.letters[letter_id] = {
            "id": letter_id,
            "topic": topic,
            "partition": partition,
            "offset": offset,
            "parked_at": PARKED_AT,
            "original_topic": topic.removesuffix(".dlt"),
            "event_id": event_id,
            "event_type": "onboarding.enrolment.created",
            "error": "the SMTP server refused the message",
            "error_type": "SMTPRecipientsRefused",
            "attempts": 5,
            "replayed_at": None,
            "event": event if isinstance(event, str) else json.dumps(event),
            **fields,
        }
        if outcome is not None:
            self.outcomes[letter_id] = outcome
        return letter_id

    def misfits(self) -> list[str]:
        return misfits(self.answers, OPS_ROUTES)


def make_ops_api(state: FakeOpsState) -> FastAPI:
    api = FastAPI()

    def authorised(x_ops_token: Annotated[str | None, Header()] = None) -> None:
        state.tokens.append(x_ops_token)
        if x_ops_token != OPS_TOKEN:
            raise HTTPException(401, f"send the operations token in {OPS_TOKEN_HEADER}")

    @api.exception_handler(HTTPException)
    async def refused(_: Request, error: HTTPException) -> JSONResponse:
        return problem(error.status_code, str(error.detail))

    @api.exception_handler(RequestValidationError)
    async def invalid(_: Request, error: RequestValidationError) -> JSONResponse:
        errors = [{"field": str(e["loc"][-1]), "reason": e["msg"]} for e in error.errors()]
        return problem(422, errors=errors)

    Authorised = Depends(authorised)
    LetterId = Annotated[str, Path(max_length=300, pattern=LETTER_ID_PATTERN)]

    def found(letter_id: str) -> dict[str, Any]:
        if letter_id not in state.letters:
            raise HTTPException(404, f"this service parked no event {letter_id}")
        return state.letters[letter_id]

    @api.get("/internal/v1/dead-letters", dependencies=[Authorised])
    async def list_dead_letters() -> list[dict[str, Any]]:
        return [
            {k: v for k, v in letter.items() if k != "event"} for letter in state.letters.values()
        ]

    @api.get("/internal/v1/dead-letters/{letter_id}", dependencies=[Authorised])
    async def show_dead_letter(letter_id: LetterId) -> dict[str, Any]:
        return found(letter_id)

    @api.post("/internal/v1/dead-letters/{letter_id}/replay", dependencies=[Authorised])
    async def replay_dead_letter(letter_id: LetterId) -> Any:
        letter = found(letter_id)
        if letter["replayed_at"] is not None:
            raise HTTPException(409, f"{letter_id} was replayed already")
        outcome = state.outcomes.get(letter_id)
        if outcome == "undecodable":
            reason = "the parked record cannot be decoded: not JSON"
            return problem(422, errors=[{"field": "letter_id", "reason": reason}])
        state.replays.append(letter_id)
        if outcome == "fails":  # parked again, at the end of its dead-letter topic
            offset = max(other["offset"] for other in state.letters.values()) + 1
            state.park(offset, topic=letter["topic"], partition=letter["partition"])
            return {"id": letter_id, "applied": False}
        letter["replayed_at"] = "2025-03-04T06:00:00Z"
        return {"id": letter_id, "applied": True}

    api.add_middleware(Recorder, state=state)
    return api


def unused_url() -> str:
    """A URL nobody listens at."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


@dataclass
class FakeOps:
    """The four services' operations APIs, each a double with its own dead letters."""

    urls: dict[str, str]
    states: dict[str, FakeOpsState]
    apps: dict[str, FastAPI]
    token: str = OPS_TOKEN

    def env(self, *, down: Sequence[str] = (), token: str | None = OPS_TOKEN) -> dict[str, Any]:
        """The environment `onboard dlq` finds the services in; those `down` at a URL
        nobody listens at."""
        env: dict[str, str | None] = {
            url_var(s): unused_url() if s in down else url for s, url in self.urls.items()
        }
        env["OPS_API_TOKEN"] = token
        return env

    def run(self, *args: str, down: Sequence[str] = (), token: str | None = OPS_TOKEN) -> Result:
        """`onboard dlq ARGS`, in-process, with the URLs and the token in the environment."""
        return CliRunner().invoke(cli_app, ["dlq", *args], env=self.env(down=down, token=token))


@dataclass
class FakeApi:
    url: str
    state: FakeState
    app: FastAPI
    key: str = API_KEY

    def run(self, *args: str, key: str = API_KEY) -> Result:
        """`onboard ARGS --url <the double> --api-key KEY`, in-process."""
        return CliRunner().invoke(cli_app, [*args, "--url", self.url, "--api-key", key])


@contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    """`app` under uvicorn on a free port of 127.0.0.1, in a thread: its URL."""
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
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(5)
        sock.close()


@pytest.fixture(scope="session")
def _server() -> Iterator[tuple[str, FakeState, FastAPI]]:
    state = FakeState()
    app = make_api(state)
    with serve(app) as url:
        yield url, state, app


@pytest.fixture
def api(_server: tuple[str, FakeState, FastAPI]) -> Iterator[FakeApi]:
    url, state, app = _server
    state.__init__()  # type: ignore[misc]  # a clean slate for each test
    yield FakeApi(url, state, app)
    misfits = state.misfits()
    if misfits:
        pytest.fail("the test double answered what the CLI cannot read:\n" + "\n".join(misfits))


@pytest.fixture(scope="session")
def _ops_servers() -> Iterator[FakeOps]:
    with ExitStack() as stack:
        states = {service: FakeOpsState() for service in SERVICES}
        apps = {service: make_ops_api(state) for service, state in states.items()}
        urls = {service: stack.enter_context(serve(app)) for service, app in apps.items()}
        yield FakeOps(urls, states, apps)


@pytest.fixture
def ops(_ops_servers: FakeOps) -> Iterator[FakeOps]:
    for state in _ops_servers.states.values():
        state.__init__()  # type: ignore[misc]  # a clean slate for each test
    yield _ops_servers
    misfits = [
        f"{service}: {misfit}"
        for service, state in _ops_servers.states.items()
        for misfit in state.misfits()
    ]
    if misfits:
        pytest.fail("the ops double answered what the CLI cannot read:\n" + "\n".join(misfits))


@pytest.fixture(autouse=True)
def _isolated(tmp_path: FilePath, monkeypatch: pytest.MonkeyPatch) -> None:
    """No .run/env of the real checkout and no real settings leak into a test."""
    monkeypatch.chdir(tmp_path)
    for service in SERVICES:
        monkeypatch.delenv(url_var(service), raising=False)
    monkeypatch.delenv("ONBOARDING_API_KEY", raising=False)
    monkeypatch.delenv("OPS_API_TOKEN", raising=False)
    monkeypatch.setenv("COLUMNS", "160")


# --- every service's /metrics (onboard flow) --------------------------------------------

FLOW_OTHERS = tuple(s for s in SERVICES if s != "enrolment")  # enrolment: the FakeApi


@dataclass
class FakeFlow:
    """The four services as `onboard flow` sees them: the enrolment double (metrics and
    funnel) and a `/metrics` double for each of the others."""

    api: FakeApi
    urls: dict[str, str]  # the others'
    others: dict[str, FakeMetrics]

    @property
    def metrics(self) -> dict[str, FakeMetrics]:
        return {"enrolment": self.api.state.metrics, **self.others}

    def run(self, *args: str, down: Sequence[str] = (), key: str | None = API_KEY) -> Result:
        """`onboard flow ARGS`, in-process: the enrolment double by --url (and --api-key,
        unless `key` is None), the others by their URL variables; those `down` at a URL
        nobody listens at."""
        env: dict[str, str | None] = {
            url_var(s): unused_url() if s in down else url for s, url in self.urls.items()
        }
        url = unused_url() if "enrolment" in down else self.api.url
        flags = ["--url", url, *(["--api-key", key] if key else [])]
        return CliRunner().invoke(cli_app, ["flow", *args, *flags], env=env)


@pytest.fixture(scope="session")
def _metrics_servers() -> Iterator[tuple[dict[str, str], dict[str, FakeMetrics]]]:
    with ExitStack() as stack:
        others = {service: FakeMetrics() for service in FLOW_OTHERS}
        urls = {}
        for service, metrics in others.items():
            app = FastAPI()
            add_metrics_route(app, lambda metrics=metrics: metrics)
            urls[service] = stack.enter_context(serve(app))
        yield urls, others


@pytest.fixture
def flow(api: FakeApi, _metrics_servers: tuple[dict[str, str], dict[str, FakeMetrics]]) -> FakeFlow:
    urls, others = _metrics_servers
    for metrics in others.values():
        metrics.__init__()  # type: ignore[misc]  # a clean slate for each test
    return FakeFlow(api, urls, others)
