"""HTTP routes of the enrolment service: parse, call a handler, shape the response."""

import codecs
import csv
import hashlib
import io
import itertools
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Header, HTTPException, Query, Request, status
from fastapi.responses import JSONResponse, StreamingResponse
from onboarding_kit.db import unit_of_work
from pydantic import BaseModel, Field
from starlette.datastructures import UploadFile

from enrolment import handlers
from enrolment.domain import (
    REQUIRED_COLUMNS,
    InvalidCsv,
    InvalidEnrolment,
    InvitePolicy,
    Row,
    RowError,
    decode_cursor,
    encode_cursor,
    read_csv,
    spreadsheet_safe,
    validate_person,
)
from enrolment.store import EnrolmentStore, Selection, UnitOfWork

router = APIRouter(prefix="/v1", tags=["enrolment"])

SPOOL_IN_MEMORY_BYTES = 1 << 20  # an upload larger than this is spooled to a temporary file
Code = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^\S(.*\S)?$")]


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


# --- errors ------------------------------------------------------------------------------


def install_error_handlers(app: FastAPI) -> None:
    """The handlers' exceptions, as HTTP answers with a reason a person can act on."""

    def answer(code: int, detail: Any) -> JSONResponse:
        return JSONResponse({"detail": detail}, status_code=code)

    async def invalid(_: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, InvalidEnrolment)
        return answer(422, {"field": error.field, "reason": error.reason})

    async def conflict(_: Request, error: Exception) -> JSONResponse:
        return answer(409, str(error))

    async def not_found(_: Request, error: Exception) -> JSONResponse:
        return answer(404, str(error))

    async def unreadable(_: Request, error: Exception) -> JSONResponse:
        return answer(422, str(error))

    app.add_exception_handler(InvalidEnrolment, invalid)
    app.add_exception_handler(handlers.AlreadyEnrolled, conflict)
    app.add_exception_handler(handlers.Conflict, conflict)
    app.add_exception_handler(handlers.NotFound, not_found)
    app.add_exception_handler(InvalidCsv, unreadable)


# --- who is calling ----------------------------------------------------------------------


def _uow(request: Request) -> UnitOfWork:
    return unit_of_work(request.app.state.runtime.pool, EnrolmentStore)


async def _tenant_id(
    request: Request, authorization: Annotated[str | None, Header()] = None
) -> str:
    scheme, _, key = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "send the tenant API key as `Authorization: Bearer <key>`",
            headers={"WWW-Authenticate": "Bearer"},
        )
    async with request.app.state.runtime.pool.acquire() as conn:
        tenant_id = await EnrolmentStore(conn).tenant_by_key_hash(hash_api_key(key.strip()))
    if tenant_id is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "unknown API key", headers={"WWW-Authenticate": "Bearer"}
        )
    return tenant_id


def _caller(
    tenant_id: Annotated[str, Depends(_tenant_id)],
    x_correlation_id: Annotated[str | None, Header()] = None,
) -> handlers.Request:
    return handlers.Request(tenant_id, x_correlation_id or handlers.new_id())


Caller = Annotated[handlers.Request, Depends(_caller)]


def _selection(
    status: str | None = None,
    role: str | None = None,
    course: str | None = None,
    cohort: str | None = None,
    import_id: str | None = None,
    q: Annotated[str | None, Query(description="text in name, email or external id")] = None,
) -> Selection:
    return Selection(status, role, course, cohort, import_id, q)


Selected = Annotated[Selection, Depends(_selection)]


@dataclass(frozen=True)
class ImportInto:
    """Where the people of an import or a manual batch are enrolled."""

    course: str
    cohort: str | None
    invite: InvitePolicy | None


def _import_into(
    course: Annotated[str, Query(min_length=1, max_length=200)],
    cohort: Annotated[str | None, Query(max_length=200)] = None,
    invite: Annotated[InvitePolicy | None, Query(description="overrides the tenant policy")] = None,
) -> ImportInto:
    return ImportInto(course.strip(), cohort, invite)


Into = Annotated[ImportInto, Depends(_import_into)]


# --- models ------------------------------------------------------------------------------


class CourseIn(BaseModel):
    code: Code
    title: str | None = Field(default=None, max_length=200)


class CourseOut(BaseModel):
    code: str
    title: str
    created_at: datetime


class CohortIn(BaseModel):
    course: Code
    code: Code
    title: str | None = Field(default=None, max_length=200)


class CohortOut(CourseOut):
    course: str


class SettingsBody(BaseModel):
    invite_policy: InvitePolicy = Field(
        description="auto: enrolling invites at once; manual: enrol first, invite later"
    )


class EnrolmentIn(BaseModel):
    email: str
    name: str
    external_id: str | None = Field(default=None, description="The tenant's own id")
    role: str = "learner"
    course: Code
    cohort: str | None = None
    phone: str | None = None
    channel: str = "email"
    invite: InvitePolicy | None = Field(default=None, description="overrides the tenant policy")


class EnrolmentChanges(BaseModel):
    model_config = {"extra": "allow"}  # an `email` is refused by the domain, with a reason

    name: str | None = None
    external_id: str | None = None
    phone: str | None = None
    role: str | None = None
    cohort: str | None = None


class EnrolmentOut(BaseModel):
    id: str
    email: str
    name: str
    external_id: str
    role: str
    course: str
    cohort: str | None
    channel: str
    phone: str | None
    status: str
    import_id: str | None
    invitation_id: str | None
    account_id: str | None
    invited_at: datetime | None
    emailed_at: datetime | None
    registered_at: datetime | None
    activated_at: datetime | None
    cancelled_at: datetime | None
    created_at: datetime


class EnrolmentPage(BaseModel):
    items: list[EnrolmentOut]
    next_cursor: str | None


class SelectionIn(BaseModel):
    course: str | None = None
    cohort: str | None = None
    import_id: str | None = None


class InvitedOut(BaseModel):
    requested: int


class RowErrorOut(BaseModel):
    line: int
    field: str | None
    reason: str
    raw: str


class ImportOut(BaseModel):
    id: str
    course: str
    cohort: str | None
    invite_policy: str
    status: str
    total_rows: int
    enrolled: int
    failed: int
    errors: list[RowErrorOut]


class FunnelOut(BaseModel):
    enrolled: int
    invited: int
    emailed: int
    registered: int
    active: int
    expired: int
    failed: int
    cancelled: int


# --- courses, cohorts, settings ----------------------------------------------------------


@router.post("/courses", status_code=201, response_model=CourseOut)
async def create_course(body: CourseIn, caller: Caller, request: Request) -> dict[str, Any]:
    async with _uow(request)() as store:
        return await handlers.create_course(store, caller, body.code, body.title or body.code)


@router.get("/courses", response_model=list[CourseOut])
async def list_courses(caller: Caller, request: Request) -> list[dict[str, Any]]:
    async with _uow(request)() as store:
        return await store.courses(caller.tenant_id)


@router.post("/cohorts", status_code=201, response_model=CohortOut)
async def create_cohort(body: CohortIn, caller: Caller, request: Request) -> dict[str, Any]:
    async with _uow(request)() as store:
        return await handlers.create_cohort(
            store, caller, body.course, body.code, body.title or body.code
        )


@router.get("/cohorts", response_model=list[CohortOut])
async def list_cohorts(
    caller: Caller, request: Request, course: str | None = None
) -> list[dict[str, Any]]:
    async with _uow(request)() as store:
        return await store.cohorts(caller.tenant_id, course)


@router.get("/settings", response_model=SettingsBody)
async def get_settings(caller: Caller, request: Request) -> SettingsBody:
    async with _uow(request)() as store:
        return SettingsBody(invite_policy=InvitePolicy(await store.invite_policy(caller.tenant_id)))


@router.put("/settings", response_model=SettingsBody)
async def put_settings(body: SettingsBody, caller: Caller, request: Request) -> SettingsBody:
    async with _uow(request)() as store:
        await store.set_invite_policy(caller.tenant_id, body.invite_policy.value)
    return body


# --- enrolments --------------------------------------------------------------------------


@router.post("/enrolments", status_code=201, response_model=EnrolmentOut)
async def enrol(body: EnrolmentIn, caller: Caller, request: Request) -> dict[str, Any]:
    """Enrol one person into a course; they are invited unless the policy says by hand.
    Someone who already has an account in the tenant is active at once."""
    person = validate_person(
        email=body.email,
        name=body.name,
        external_id=body.external_id,
        role=body.role,
        cohort=body.cohort,
        phone=body.phone,
        channel=body.channel,
    )
    async with _uow(request)() as store:
        enrolment_id = await handlers.enrol_person(store, caller, body.course, person, body.invite)
        created = await store.enrolment(caller.tenant_id, enrolment_id)
    assert created is not None
    return created


@router.get("/enrolments", response_model=EnrolmentPage)
async def list_enrolments(
    caller: Caller,
    request: Request,
    selection: Selected,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: str | None = None,
) -> dict[str, Any]:
    after = decode_cursor(cursor) if cursor else None
    async with _uow(request)() as store:
        items = await store.list_enrolments(caller.tenant_id, selection, after, limit + 1)
    more = len(items) > limit
    items = items[:limit]
    last = items[-1] if more else None
    return {
        "items": items,
        "next_cursor": encode_cursor(last["created_at"].isoformat(), last["id"]) if last else None,
    }


EXPORT_COLUMNS = (
    "id", "email", "name", "external_id", "role", "course", "cohort", "phone", "channel",
    "status", "import_id", "invited_at", "emailed_at", "registered_at", "activated_at",
    "created_at",
)  # fmt: skip


@router.get("/enrolments.csv", response_class=StreamingResponse)
async def export_enrolments(
    caller: Caller, request: Request, selection: Selected
) -> StreamingResponse:
    """The same selection as `GET /v1/enrolments`, as CSV; cells that a spreadsheet would
    run as a formula are written as text."""
    pool = request.app.state.runtime.pool

    async def lines() -> AsyncIterator[str]:
        yield _csv_line(EXPORT_COLUMNS)
        async with pool.acquire() as conn, conn.transaction():
            async for rows in EnrolmentStore(conn).export_enrolments(caller.tenant_id, selection):
                yield "".join(
                    _csv_line([spreadsheet_safe(_cell(row[c])) for c in EXPORT_COLUMNS])
                    for row in rows
                )

    return StreamingResponse(
        lines(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="enrolments.csv"'},
    )


def _cell(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _csv_line(values: Any) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(values)
    return buffer.getvalue()


@router.get("/enrolments/{enrolment_id}", response_model=EnrolmentOut)
async def get_enrolment(enrolment_id: str, caller: Caller, request: Request) -> dict[str, Any]:
    async with _uow(request)() as store:
        found = await store.enrolment(caller.tenant_id, enrolment_id)
    if found is None:
        raise handlers.NotFound("no such enrolment")
    return found


@router.patch("/enrolments/{enrolment_id}", response_model=EnrolmentOut)
async def change_enrolment(
    enrolment_id: str, body: EnrolmentChanges, caller: Caller, request: Request
) -> dict[str, Any]:
    """Change the name, external id, phone, role or cohort; never the email."""
    async with _uow(request)() as store:
        return await handlers.update_enrolment(
            store, caller, enrolment_id, body.model_dump(exclude_unset=True)
        )


@router.post("/enrolments/{enrolment_id}/invite", status_code=202, response_model=EnrolmentOut)
async def invite(enrolment_id: str, caller: Caller, request: Request) -> dict[str, Any]:
    """Invite one person enrolled without an invitation."""
    async with _uow(request)() as store:
        await handlers.invite_enrolment(store, caller, enrolment_id)
        found = await store.enrolment(caller.tenant_id, enrolment_id)
    assert found is not None
    return found


@router.post("/enrolments/{enrolment_id}/cancel", response_model=EnrolmentOut)
async def cancel(enrolment_id: str, caller: Caller, request: Request) -> dict[str, Any]:
    """Withdraw an enrolment; its invitation link stops working."""
    async with _uow(request)() as store:
        return await handlers.cancel_enrolment(store, caller, enrolment_id)


@router.post("/enrolments:invite", status_code=202, response_model=InvitedOut)
async def invite_all(body: SelectionIn, caller: Caller, request: Request) -> InvitedOut:
    """Invite everyone enrolled and not yet invited in a course, cohort or import."""
    selection = Selection(course=body.course, cohort=body.cohort, import_id=body.import_id)
    async with _uow(request)() as store:
        return InvitedOut(requested=await handlers.invite_selection(store, caller, selection))


@router.post(
    "/enrolments:batch",
    status_code=201,
    response_model=ImportOut,
    openapi_extra={
        "requestBody": {"required": True, "content": {"text/plain": {"schema": {"type": "string"}}}}
    },
)
async def enrol_batch(request: Request, caller: Caller, into: Into) -> dict[str, Any]:
    """Manual entry: one person per line as `email,id,name`, validated like an import."""
    with await _spool(request) as spool:
        rows = read_csv(_text(spool), header=list(REQUIRED_COLUMNS))
        return await _import(request, caller, into, rows)


# --- imports -----------------------------------------------------------------------------

TEMPLATE = (
    "email,id,name\nada@example.org,S-001,Ada Lovelace\ngrace@example.org,S-002,Grace Hopper\n"
)


@router.get("/imports/template.csv", response_class=StreamingResponse)
async def import_template() -> StreamingResponse:
    """A sample file to fill in: the required columns, two example rows."""
    return StreamingResponse(
        iter([TEMPLATE]),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="enrolments-template.csv"'},
    )


@router.post(
    "/imports",
    status_code=201,
    response_model=ImportOut,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {"file": {"type": "string", "format": "binary"}},
                    }
                },
            },
        }
    },
)
async def import_csv(request: Request, caller: Caller, into: Into) -> dict[str, Any]:
    """Enrol everyone in a CSV (a `text/csv` body, or a multipart upload in `file`): a header
    naming `email,id,name` in any order, optionally `role,cohort,phone,channel`.

    Good rows are enrolled even when others are bad; each bad row is reported with its line
    number, column and reason. The file is read as a stream, never held whole in memory."""
    with await _spool(request) as spool:
        rows = read_csv(_text(spool))
        first = next(rows, None)  # reads the header: a file-level error surfaces here
        return await _import(request, caller, into, itertools.chain([first] if first else [], rows))


async def _spool(request: Request) -> IO[bytes]:
    """The uploaded file in a temporary spool, its encoding checked on the way in so that a
    bad file is refused before any row is stored."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "multipart/form-data":
        form = await request.form()
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise HTTPException(422, "send the CSV in a multipart field named `file`")
        chunks = _read_upload(upload)
    elif content_type in ("text/csv", "text/plain", "application/csv"):
        chunks = request.stream()
    else:
        raise HTTPException(
            status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
            "send the file as a text/csv body or a multipart/form-data upload",
        )
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY_BYTES)  # noqa: SIM115
    utf8 = codecs.getincrementaldecoder("utf-8")()
    try:
        async for chunk in chunks:
            utf8.decode(chunk)
            spool.write(chunk)
        utf8.decode(b"", final=True)
    except UnicodeDecodeError as error:
        spool.close()
        raise HTTPException(422, "the file is not UTF-8 text") from error
    spool.seek(0)
    return spool


async def _read_upload(upload: UploadFile) -> AsyncIterator[bytes]:
    while chunk := await upload.read(1 << 16):
        yield chunk


def _text(spool: IO[bytes]) -> Iterator[str]:
    return io.TextIOWrapper(spool, encoding="utf-8", newline="")


async def _import(
    request: Request,
    caller: handlers.Request,
    into: ImportInto,
    rows: Iterator[Row | RowError],
) -> dict[str, Any]:
    result = await handlers.import_people(
        _uow(request), caller, into.course, into.cohort, rows, into.invite
    )
    async with _uow(request)() as store:
        summary = await store.import_summary(caller.tenant_id, result.import_id)
    assert summary is not None
    return summary


@router.get("/imports/{import_id}", response_model=ImportOut)
async def get_import(import_id: str, caller: Caller, request: Request) -> dict[str, Any]:
    async with _uow(request)() as store:
        found = await store.import_summary(caller.tenant_id, import_id)
    if found is None:
        raise handlers.NotFound("no such import")
    return found


@router.get("/imports/{import_id}/errors.csv", response_class=StreamingResponse)
async def import_errors(import_id: str, caller: Caller, request: Request) -> StreamingResponse:
    """The bad rows of an import with their line, column and reason, to fix and upload again."""
    async with _uow(request)() as store:
        found = await store.import_summary(caller.tenant_id, import_id)
    if found is None:
        raise handlers.NotFound("no such import")
    lines = [_csv_line(("line", "column", "reason", "row"))] + [
        _csv_line(
            [e["line"], e["field"] or "", spreadsheet_safe(e["reason"]), spreadsheet_safe(e["raw"])]
        )
        for e in found["errors"]
    ]
    return StreamingResponse(
        iter(lines),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="import-{import_id}-errors.csv"'},
    )


@router.get("/funnel", response_model=FunnelOut)
async def funnel(
    caller: Caller,
    request: Request,
    course: str | None = None,
    cohort: str | None = None,
    import_id: str | None = None,
) -> dict[str, int]:
    """How far people got: enrolled, invited, emailed, registered, active, and how many
    expired, could not be reached (failed) or were cancelled."""
    async with _uow(request)() as store:
        return await store.funnel(
            caller.tenant_id, Selection(course=course, cohort=cohort, import_id=import_id)
        )
