"""The funnel route: how far the people of a course, cohort or import got."""

from fastapi import APIRouter
from onboarding_kit.problems import problems

from enrolment.api.deps import Deps, Filter, TenantId
from enrolment.api.schemas import FunnelOut
from enrolment.domain.selection import Selection
from enrolment.use_cases import queries

router = APIRouter()


@router.get("/funnel", responses=problems(401, 422))
async def funnel(
    deps: Deps,
    tenant_id: TenantId,
    course: Filter = None,
    cohort: Filter = None,
    import_id: Filter = None,
) -> FunnelOut:
    """How far people got: enrolled, invited, emailed, registered, active, and how many
    expired, could not be reached (failed) or were cancelled."""
    selection = Selection(course=course, cohort=cohort, import_id=import_id)
    return FunnelOut.model_validate(await queries.funnel(deps.uow, tenant_id, selection))
