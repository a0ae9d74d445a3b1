"""Account reports of a selection of enrolments: `GET /v1/reports/accounts.pdf` to print,
`GET /v1/reports/accounts.csv` for spreadsheets. `kind=info` (who, and how far each got) or
`kind=credentials` (the username and where to sign in with it: never a password or a
link)."""

from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import aclosing
from datetime import UTC, datetime
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse
from onboarding_kit.errors import Unavailable
from onboarding_kit.problems import problems

from enrolment.api.deps import Deps, Selected, TenantId
from enrolment.api.files import csv_download
from enrolment.bootstrap import EnrolmentDependencies
from enrolment.domain.selection import Selection
from enrolment.reports.pdf import render_pdf
from enrolment.reports.people import ReportKind, ReportPerson
from enrolment.reports.reading import described, report_pages
from enrolment.reports.spreadsheet import csv_header, csv_records
from enrolment.reports.streaming import file_chunks, render_to_file, size_of

router = APIRouter(prefix="/v1/reports", tags=["reports"])

Kind = Annotated[
    ReportKind,
    Query(description="info: status and dates; credentials: username and sign-in address"),
]


def _answer(media_type: str) -> dict[int | str, dict[str, Any]]:
    return {200: {"content": {media_type: {"schema": {"type": "string"}}}}}


def configured_sign_in_url(deps: Deps) -> str | None:
    """The service's SIGN_IN_URL."""
    return deps.settings.sign_in_url


SignInUrl = Annotated[str | None, Depends(configured_sign_in_url)]


def _sign_in_url_for(kind: ReportKind, sign_in_url: str | None) -> str | None:
    if kind is ReportKind.CREDENTIALS and not sign_in_url:
        raise Unavailable(
            "the credentials report needs the sign-in address: set SIGN_IN_URL for the "
            "enrolment service"
        )
    return sign_in_url if kind is ReportKind.CREDENTIALS else None


def _pages(
    deps: EnrolmentDependencies, tenant_id: str, selection: Selection
) -> AsyncGenerator[list[ReportPerson], None]:
    return report_pages(
        deps.uow,
        tenant_id,
        selection,
        deps.settings.export_page_size,
        deps.settings.export_statement_timeout_ms,
    )


def _filename(kind: ReportKind, extension: str) -> str:
    return f"accounts-{kind.value}-{datetime.now(UTC):%Y%m%d-%H%M}.{extension}"


@router.get(
    "/accounts.pdf",
    response_class=StreamingResponse,
    responses={**_answer("application/pdf"), **problems(401, 422, 503)},
)
async def accounts_pdf(
    deps: Deps,
    tenant_id: TenantId,
    selection: Selected,
    sign_in_url: SignInUrl,
    kind: Kind = ReportKind.INFO,
) -> StreamingResponse:
    """The selection (the filters of `GET /v1/enrolments`) as a printable PDF: a table, one
    row per person in creation order, its header repeated on every page. Rendered in a
    worker thread while the people are read a page at a time, then streamed."""
    address = _sign_in_url_for(kind, sign_in_url)
    render = partial(render_pdf, kind=kind, selection=described(selection), sign_in_url=address)
    spool = await render_to_file(_pages(deps, tenant_id, selection), render)
    return StreamingResponse(
        file_chunks(spool),
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{_filename(kind, "pdf")}"',
            "Content-Length": str(size_of(spool)),
        },
    )


@router.get(
    "/accounts.csv",
    response_class=StreamingResponse,
    responses={**_answer("text/csv"), **problems(401, 422, 503)},
)
async def accounts_csv(
    deps: Deps,
    tenant_id: TenantId,
    selection: Selected,
    sign_in_url: SignInUrl,
    kind: Kind = ReportKind.INFO,
) -> StreamingResponse:
    """The same report as CSV, for spreadsheets, streamed a page at a time."""
    address = _sign_in_url_for(kind, sign_in_url)

    async def lines() -> AsyncIterator[str]:
        yield csv_header(kind)
        pages = _pages(deps, tenant_id, selection)
        async with aclosing(pages):
            async for page in pages:
                yield csv_records(kind, page, address)

    return csv_download(lines(), _filename(kind, "csv"))
