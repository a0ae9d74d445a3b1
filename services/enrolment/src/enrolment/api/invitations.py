"""Routes of invitations: the list admins see, a resend, reminders."""

from fastapi import APIRouter
from onboarding_kit.problems import problems

from enrolment.api.deps import (
    CurrentCaller,
    Cursor,
    Deps,
    EntityId,
    InvitationsSelected,
    Limit,
    TenantId,
)
from enrolment.api.schemas import (
    EnrolmentOut,
    InvitationOut,
    InvitationPage,
    RemindedOut,
    RemindIn,
)
from enrolment.domain.selection import Selection
from enrolment.use_cases import queries, reminding, resending

router = APIRouter()


@router.get("/invitations", responses=problems(401, 422))
async def list_invitations(
    deps: Deps,
    tenant_id: TenantId,
    selection: InvitationsSelected,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> InvitationPage:
    """Each person's invitation: its status, links sent (resends and reminders among them),
    when the last one was sent and when it expires; in the order people were enrolled."""
    page = await queries.list_invitations(deps.uow, tenant_id, selection, limit, cursor)
    return InvitationPage.model_validate(page)


@router.post("/enrolments/{enrolment_id}/resend", responses=problems(401, 404, 409, 503))
async def resend(enrolment_id: EntityId, deps: Deps, caller: CurrentCaller) -> InvitationOut:
    """Send the person a new link, under the tenant's current link rules: every earlier
    link stops working the moment this answers. 409, with a `reason`, for a cancelled or
    registered person, one never invited, an accepted or withdrawn invitation, or one
    resent as often as the tenant allows; 503 when the invitation service does not answer
    (nothing was sent)."""
    view = await resending.resend_invitation(
        deps.uow, deps.clock, deps.invitations, caller, enrolment_id
    )
    return InvitationOut.model_validate(view)


@router.post(
    "/enrolments/{enrolment_id}/remind", status_code=202, responses=problems(401, 404, 409)
)
async def remind(enrolment_id: EntityId, deps: Deps, caller: CurrentCaller) -> EnrolmentOut:
    """Remind one person invited and not registered yet: a fresh link with reminder
    wording. 409, with a `reason`, for someone registered, cancelled or never invited, or
    reminded less than an hour ago."""
    reminded = await reminding.remind_enrolment(deps.uow, deps.clock, caller, enrolment_id)
    return EnrolmentOut.model_validate(reminded)


@router.post("/enrolments:remind", status_code=202, responses=problems(401, 422))
async def remind_all(body: RemindIn, deps: Deps, caller: CurrentCaller) -> RemindedOut:
    """Remind everyone of a course (a cohort, an import of it) invited and not registered
    yet, except those reminded in the last hour."""
    selection = Selection(course=body.course, cohort=body.cohort, import_id=body.import_id)
    reminded = await reminding.remind_selection(deps.uow, deps.clock, caller, selection)
    return RemindedOut(requested=reminded.requested, skipped=reminded.skipped)
