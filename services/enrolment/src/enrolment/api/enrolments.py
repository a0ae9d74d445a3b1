"""Routes of enrolments: enrolling, reading, exporting, changing, inviting, cancelling."""

from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from onboarding_kit.problems import problems

from enrolment.api.deps import CurrentCaller, Cursor, Deps, EntityId, Limit, Selected, TenantId
from enrolment.api.files import csv_download
from enrolment.api.schemas import (
    EnrolmentChanges,
    EnrolmentIn,
    EnrolmentOut,
    EnrolmentPage,
    InvitedOut,
    NotificationOut,
    NotificationsOut,
    SelectionIn,
)
from enrolment.domain.exports import (
    chosen_export_columns,
    csv_lines,
    default_export_columns,
    export_cell,
)
from enrolment.domain.selection import Selection
from enrolment.domain.text import NO_CONTROL_PATTERN
from enrolment.use_cases import changes, enrolling, queries

router = APIRouter()


@router.post("/enrolments", status_code=201, responses=problems(401, 409, 422))
async def enrol(body: EnrolmentIn, deps: Deps, caller: CurrentCaller) -> EnrolmentOut:
    """Enrol one person into a course; they are invited unless the policy says by hand.
    Someone who already has an account in the tenant is active at once."""
    created = await enrolling.enrol_person(
        deps.uow, deps.clock, deps.new_id, caller, body.course, body.person(), body.invite
    )
    return EnrolmentOut.model_validate(created)


@router.get("/enrolments", responses=problems(401, 422))
async def list_enrolments(
    deps: Deps,
    tenant_id: TenantId,
    selection: Selected,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> EnrolmentPage:
    page = await queries.list_enrolments(deps.uow, tenant_id, selection, limit, cursor)
    return EnrolmentPage.model_validate(page)


@router.get("/enrolments.csv", response_class=StreamingResponse, responses=problems(401, 422))
async def export_enrolments(
    deps: Deps,
    tenant_id: TenantId,
    selection: Selected,
    columns: Annotated[
        str | None,
        Query(
            max_length=2000,
            pattern=NO_CONTROL_PATTERN,
            description="The columns to write, comma-separated, in order (any of the "
            "export's, or `flag:<name>`); absent: all, with a `flag:<name>` column for each "
            "flag anyone selected has set",
        ),
    ] = None,
) -> StreamingResponse:
    """The same selection as `GET /v1/enrolments`, as CSV; cells that a spreadsheet would
    run as a formula are written as text. The school's record is named as an import takes
    it: `middle_name`, `file_number`, `tags` and `sections` (`;` between items), and
    `flag:<name>` (true, false, or empty when not set)."""
    if columns is not None:
        chosen = chosen_export_columns(columns)
    else:
        flags = await queries.flags_of_export(
            deps.uow, tenant_id, selection, deps.settings.export_statement_timeout_ms
        )
        chosen = default_export_columns(flags)

    async def lines() -> AsyncIterator[str]:
        yield csv_lines([chosen])
        pages = queries.export_enrolments(
            deps.uow,
            tenant_id,
            selection,
            deps.settings.export_page_size,
            deps.settings.export_statement_timeout_ms,
        )
        # A client gone mid-download stops the reading at once, not when collected.
        async with aclosing(pages):
            async for page in pages:
                yield csv_lines([export_cell(e, column) for column in chosen] for e in page)

    return csv_download(lines(), "enrolments.csv")


@router.get("/enrolments/{enrolment_id}", responses=problems(401, 404))
async def get_enrolment(enrolment_id: EntityId, deps: Deps, tenant_id: TenantId) -> EnrolmentOut:
    found = await queries.get_enrolment(deps.uow, tenant_id, enrolment_id)
    return EnrolmentOut.model_validate(found)


@router.get("/enrolments/{enrolment_id}/notifications", responses=problems(401, 404))
async def notifications(
    enrolment_id: EntityId, deps: Deps, tenant_id: TenantId
) -> NotificationsOut:
    """Every message sent to the person (links, reminders, credentials, the welcome),
    oldest first, each as far as it got: retrying, sent, delivered, failed or undelivered."""
    found = await queries.notifications_of(deps.uow, tenant_id, enrolment_id)
    return NotificationsOut(items=[NotificationOut.model_validate(m) for m in found])


@router.patch("/enrolments/{enrolment_id}", responses=problems(401, 404, 422))
async def change_enrolment(
    enrolment_id: EntityId, body: EnrolmentChanges, deps: Deps, caller: CurrentCaller
) -> EnrolmentOut:
    """Change the name, external id, phone, role, cohort or locale, and the school's record:
    middle name, file number, tags and sections (replaced), flags (merged: a null one is
    removed); never the email."""
    changed = await changes.change_enrolment(
        deps.uow, deps.clock, caller, enrolment_id, body.model_dump(exclude_unset=True)
    )
    return EnrolmentOut.model_validate(changed)


@router.post(
    "/enrolments/{enrolment_id}/invite", status_code=202, responses=problems(401, 404, 409)
)
async def invite(enrolment_id: EntityId, deps: Deps, caller: CurrentCaller) -> EnrolmentOut:
    """Invite one person enrolled without an invitation; someone who has an account in the
    tenant by now is active at once instead."""
    invited = await changes.invite_enrolment(deps.uow, deps.clock, caller, enrolment_id)
    return EnrolmentOut.model_validate(invited)


@router.post("/enrolments/{enrolment_id}/cancel", responses=problems(401, 404, 409))
async def cancel(enrolment_id: EntityId, deps: Deps, caller: CurrentCaller) -> EnrolmentOut:
    """Withdraw an enrolment; its invitation link stops working."""
    cancelled = await changes.cancel_enrolment(deps.uow, deps.clock, caller, enrolment_id)
    return EnrolmentOut.model_validate(cancelled)


@router.post("/enrolments:invite", status_code=202, responses=problems(401, 422))
async def invite_all(body: SelectionIn, deps: Deps, caller: CurrentCaller) -> InvitedOut:
    """Invite everyone enrolled and not yet invited in a course, cohort or import. Someone
    who has an account in the tenant by now is active at once instead."""
    selection = Selection(course=body.course, cohort=body.cohort, import_id=body.import_id)
    invited = await changes.invite_selection(deps.uow, deps.clock, caller, selection)
    return InvitedOut(requested=len(invited.requested), activated=len(invited.activated))
