"""HTTP routes of the enrolment service: parse, call a handler, shape the response."""

import codecs
import hashlib
import io
import itertools
import tempfile
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request, status
from pydantic import BaseModel, Field

from enrolment import handlers
from enrolment.domain import InvalidCsv, InvalidEnrolment, read_csv, validate_person
from enrolment.store import EnrolmentStore, unit_of_work

router = APIRouter(prefix="/v1", tags=["enrolment"])

SPOOL_IN_MEMORY_BYTES = 1 << 20  # an upload larger than this is spooled to a temporary file


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


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


class EnrolmentIn(BaseModel):
    email: str
    name: str
    external_id: str | None = Field(
        default=None, description="The tenant's own id, e.g. a student number"
    )
    role: str = "learner"
    course: str = Field(min_length=1, max_length=200)
    cohort: str | None = None
    phone: str | None = None
    channel: str = "email"


class EnrolmentOut(BaseModel):
    id: str
    email: str
    name: str
    external_id: str
    role: str
    course: str
    cohort: str | None
    channel: str
    status: str
    import_id: str | None
    invitation_id: str | None
    account_id: str | None
    invited_at: datetime | None
    emailed_at: datetime | None
    registered_at: datetime | None
    activated_at: datetime | None
    created_at: datetime


class RowErrorOut(BaseModel):
    line: int
    field: str | None
    reason: str
    raw: str


class ImportOut(BaseModel):
    id: str
    course: str
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
    cancelled: int


@router.post("/enrolments", status_code=status.HTTP_201_CREATED, response_model=EnrolmentOut)
async def enrol(body: EnrolmentIn, caller: Caller, request: Request) -> dict[str, Any]:
    """Enrol one person into a course; they are invited unless the tenant invites by hand."""
    try:
        person = validate_person(
            email=body.email,
            name=body.name,
            external_id=body.external_id,
            role=body.role,
            cohort=body.cohort,
            phone=body.phone,
            channel=body.channel,
        )
    except InvalidEnrolment as error:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            {"field": error.field, "reason": error.reason},
        ) from error
    uow = unit_of_work(request.app.state.runtime.pool)
    async with uow() as store:
        try:
            enrolment_id = await handlers.enrol_person(store, caller, body.course.strip(), person)
        except handlers.AlreadyEnrolled as error:
            raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from error
        created = await store.enrolment(caller.tenant_id, enrolment_id)
    assert created is not None
    return created


@router.get("/enrolments/{enrolment_id}", response_model=EnrolmentOut)
async def get_enrolment(enrolment_id: str, caller: Caller, request: Request) -> dict[str, Any]:
    async with request.app.state.runtime.pool.acquire() as conn:
        found = await EnrolmentStore(conn).enrolment(caller.tenant_id, enrolment_id)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such enrolment")
    return found


@router.post(
    "/imports",
    status_code=status.HTTP_201_CREATED,
    response_model=ImportOut,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    },
)
async def import_csv(
    request: Request,
    caller: Caller,
    course: Annotated[str, Query(min_length=1, max_length=200)],
    cohort: Annotated[str | None, Query(max_length=200)] = None,
) -> dict[str, Any]:
    """Enrol everyone in a CSV (`email,id,name` header; `role,cohort,phone,channel` optional).

    Good rows are enrolled even when others are bad; each bad row is reported with its line
    number, column and reason."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in ("text/csv", "text/plain", "application/csv"):
        raise HTTPException(
            status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, "send the file as a text/csv request body"
        )
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY_BYTES) as spool:
        # Check the encoding while spooling, so a bad file is refused before any row is stored.
        utf8 = codecs.getincrementaldecoder("utf-8")()
        try:
            async for chunk in request.stream():
                utf8.decode(chunk)
                spool.write(chunk)
            utf8.decode(b"", final=True)
        except UnicodeDecodeError as error:
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_CONTENT, "the file is not UTF-8 text"
            ) from error
        spool.seek(0)
        text = io.TextIOWrapper(spool, encoding="utf-8", newline="")
        rows = read_csv(text)
        try:
            first = next(rows, None)  # reads the header: a file-level error surfaces here
        except InvalidCsv as error:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(error)) from error
        result = await handlers.import_people(
            unit_of_work(request.app.state.runtime.pool),
            caller,
            course.strip(),
            cohort,
            itertools.chain([first] if first else [], rows),
        )
    return {
        "id": result.import_id,
        "course": course.strip(),
        "status": result.status,
        "total_rows": result.total_rows,
        "enrolled": result.enrolled,
        "failed": result.failed,
        "errors": [e.__dict__ for e in result.errors],
    }


@router.get("/imports/{import_id}", response_model=ImportOut)
async def get_import(import_id: str, caller: Caller, request: Request) -> dict[str, Any]:
    async with request.app.state.runtime.pool.acquire() as conn:
        found = await EnrolmentStore(conn).import_summary(caller.tenant_id, import_id)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such import")
    return found


@router.get("/funnel", response_model=FunnelOut)
async def funnel(
    caller: Caller,
    request: Request,
    course: str | None = None,
    import_id: str | None = None,
) -> dict[str, int]:
    """How far people got: enrolled, invited, emailed, registered, active."""
    async with request.app.state.runtime.pool.acquire() as conn:
        return await EnrolmentStore(conn).funnel(caller.tenant_id, course, import_id)
