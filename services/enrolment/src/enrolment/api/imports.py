"""Routes of imports: a CSV upload, a manual batch, an import's report and bad rows."""

from collections.abc import AsyncIterator, Sequence
from contextlib import aclosing
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from onboarding_kit.problems import problems

from enrolment.api.deps import CurrentCaller, Deps, EntityId, Into, TenantId
from enrolment.api.files import (
    CSV_UPLOAD_BODY,
    TEXT_BODY,
    csv_download,
    lines_at_most,
    spooled_upload,
    text_of,
)
from enrolment.api.schemas import ImportOut
from enrolment.bootstrap import EnrolmentDependencies
from enrolment.domain.csv_rows import (
    ERRORS_PAGE,
    MAX_ERRORS_PAGE,
    REQUIRED_COLUMNS,
    batch_columns,
    check_row_count,
    read_csv,
)
from enrolment.domain.exports import IMPORT_ERROR_COLUMNS, csv_lines
from enrolment.domain.text import NO_CONTROL_PATTERN
from enrolment.use_cases import imports
from enrolment.use_cases.caller import Caller
from enrolment.use_cases.imports import ImportInto

router = APIRouter()

# An upload answers with the import's report, or refuses the file as a whole.
IMPORT_ANSWERS: dict[str, Any] = {"status_code": 201, "responses": problems(401, 413, 415, 422)}

TEMPLATE = (
    "email,id,name\nada@example.org,S-001,Ada Lovelace\ngrace@example.org,S-002,Grace Hopper\n"
)


async def _import(
    request: Request,
    deps: EnrolmentDependencies,
    caller: Caller,
    into: ImportInto,
    header: Sequence[str] | None,
) -> ImportOut:
    """The people of the uploaded file enrolled; `header` for a file without one. A file
    over the limits (bytes, rows) is refused whole, before any of it is stored."""
    limits = deps.settings
    with await spooled_upload(request, limits.import_max_bytes) as spool:
        # Every row takes at least one line: only a file with more lines than the limit
        # allows needs its rows counted before the real read.
        if lines_at_most(spool) > limits.import_max_rows:
            with text_of(spool) as text:
                check_row_count(text, header, limits.import_max_rows)
        with text_of(spool) as text:
            rows = read_csv(text, header)  # a file-level error is raised here
            summary = await imports.import_people(
                deps.uow, deps.clock, deps.new_id, caller, into, rows
            )
    return ImportOut.model_validate(summary)


@router.post("/enrolments:batch", **IMPORT_ANSWERS, openapi_extra=TEXT_BODY)
async def enrol_batch(
    request: Request,
    deps: Deps,
    caller: CurrentCaller,
    into: Into,
    columns: Annotated[
        str | None,
        Query(
            max_length=2000,
            pattern=NO_CONTROL_PATTERN,
            description="What each line holds, comma-separated: the columns an import takes, "
            "`email,id,name` among them; absent: `email,id,name`",
        ),
    ] = None,
) -> ImportOut:
    """Manual entry: one person per line as `email,id,name` (or as `columns` say),
    validated like an import."""
    header = batch_columns(columns) if columns is not None else REQUIRED_COLUMNS
    return await _import(request, deps, caller, into, header=header)


@router.get("/imports/template.csv", response_class=StreamingResponse)
async def import_template() -> StreamingResponse:
    """A sample file to fill in: the required columns, two example rows."""
    return csv_download([TEMPLATE], "enrolments-template.csv")


@router.post("/imports", **IMPORT_ANSWERS, openapi_extra=CSV_UPLOAD_BODY)
async def import_csv(request: Request, deps: Deps, caller: CurrentCaller, into: Into) -> ImportOut:
    """Enrol everyone in a CSV (a `text/csv` body, or a multipart upload in `file`): a header
    naming `email,id,name` in any order, optionally `role,cohort,phone,channel,locale`,
    and the school's record: `middle_name`, `file_number`, `tags` and `sections` (items
    separated by `;`), and a `flag:<name>` column per flag (true/false/yes/no/1/0; empty:
    not set).

    Good rows are enrolled even when others are bad; each bad row is reported with its line
    number, column and reason (the first page of them here; see `GET /v1/imports/{id}`).
    The file is read as a stream, never held whole in memory. A file over the service's
    limits (by default 64 MiB, 200,000 rows) is refused whole (413): split it."""
    return await _import(request, deps, caller, into, header=None)


# The lines an import's report can name (PostgreSQL's integer).
_MAX_LINE = 2**31 - 1


@router.get("/imports/{import_id}", responses=problems(401, 404))
async def get_import(
    import_id: EntityId,
    deps: Deps,
    tenant_id: TenantId,
    errors_limit: Annotated[
        int, Query(ge=1, le=MAX_ERRORS_PAGE, description="The most errors to answer with")
    ] = ERRORS_PAGE,
    errors_after: Annotated[
        int,
        Query(ge=0, le=_MAX_LINE, description="Errors after this line: `next_errors_after`"),
    ] = 0,
) -> ImportOut:
    """An import's progress and totals, with a page of its bad rows in line order; walk
    them with `errors_after`, or download them all as `errors.csv`."""
    summary = await imports.import_summary(
        deps.uow, tenant_id, import_id, errors_after, errors_limit
    )
    return ImportOut.model_validate(summary)


@router.get(
    "/imports/{import_id}/errors.csv",
    response_class=StreamingResponse,
    responses=problems(401, 404),
)
async def import_errors(import_id: EntityId, deps: Deps, tenant_id: TenantId) -> StreamingResponse:
    """The bad rows of an import with their line, column and reason, to fix and upload again."""
    pages = await imports.import_errors(deps.uow, tenant_id, import_id)

    async def lines() -> AsyncIterator[str]:
        yield csv_lines([IMPORT_ERROR_COLUMNS])
        async with aclosing(pages):
            async for page in pages:
                yield csv_lines((e.line, e.field, e.reason, e.raw) for e in page)

    return csv_download(lines(), f"import-{import_id}-errors.csv")
