"""Routes of a tenant's catalogue: courses and their cohorts."""

from fastapi import APIRouter
from onboarding_kit.problems import problems

from enrolment.api.deps import Deps, Filter, TenantId
from enrolment.api.schemas import CohortIn, CohortOut, CourseIn, CourseOut
from enrolment.use_cases import courses

router = APIRouter()


@router.post("/courses", status_code=201, responses=problems(401, 409, 422))
async def create_course(body: CourseIn, deps: Deps, tenant_id: TenantId) -> CourseOut:
    created = await courses.create_course(
        deps.uow, deps.clock, tenant_id, body.code, body.title or body.code
    )
    return CourseOut.model_validate(created)


@router.get("/courses", responses=problems(401))
async def list_courses(deps: Deps, tenant_id: TenantId) -> list[CourseOut]:
    return [CourseOut.model_validate(c) for c in await courses.list_courses(deps.uow, tenant_id)]


@router.post("/cohorts", status_code=201, responses=problems(401, 409, 422))
async def create_cohort(body: CohortIn, deps: Deps, tenant_id: TenantId) -> CohortOut:
    created = await courses.create_cohort(
        deps.uow, deps.clock, tenant_id, body.course, body.code, body.title or body.code
    )
    return CohortOut.model_validate(created)


@router.get("/cohorts", responses=problems(401, 422))
async def list_cohorts(deps: Deps, tenant_id: TenantId, course: Filter = None) -> list[CohortOut]:
    found = await courses.list_cohorts(deps.uow, tenant_id, course)
    return [CohortOut.model_validate(c) for c in found]
