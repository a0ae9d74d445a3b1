"""Routes of an admin's approval of registered accounts (tenants with `activation: admin`):
one enrolment, or a selection of them."""

from fastapi import APIRouter
from onboarding_kit.problems import problems

from enrolment.api.deps import CurrentCaller, Deps, EntityId
from enrolment.api.schemas import ActivatedOut, ActivateIn, EnrolmentOut
from enrolment.use_cases import activating

router = APIRouter()


@router.post(
    "/enrolments/{enrolment_id}/activate", status_code=202, responses=problems(401, 404, 409)
)
async def activate(enrolment_id: EntityId, deps: Deps, caller: CurrentCaller) -> EnrolmentOut:
    """Activate the account of a person who registered and waits for approval: the
    registration service activates it, and the enrolment is `active` (EnrolmentActivated)
    once it has. 409, with a `reason`, for anyone else: `not_registered` (enrolled, invited
    or expired), `active` already, or `cancelled`."""
    waiting = await activating.activate_enrolment(deps.uow, caller, enrolment_id)
    return EnrolmentOut.model_validate(waiting)


@router.post("/enrolments:activate", status_code=202, responses=problems(401, 422))
async def activate_all(body: ActivateIn, deps: Deps, caller: CurrentCaller) -> ActivatedOut:
    """Activate everyone selected (a course, a cohort, an import, enrolment ids) who
    registered and waits for approval; the others are passed by."""
    requested = await activating.activate_selection(deps.uow, caller, body.selection())
    return ActivatedOut(requested=requested)
