"""A tenant's catalogue: courses and their cohorts."""

from onboarding_kit.clock import Clock
from onboarding_kit.uow import UnitOfWork

from enrolment.domain.courses import duplicate_cohort, duplicate_course, unknown_course
from enrolment.store import EnrolmentTransaction
from enrolment.store.courses import Cohort, Course


async def create_course(
    uow: UnitOfWork[EnrolmentTransaction], clock: Clock, tenant_id: str, code: str, title: str
) -> Course:
    async with uow() as tx:
        created = await tx.courses.create_course(tenant_id, code, title, clock())
    if created is None:
        raise duplicate_course(code)
    return created


async def list_courses(uow: UnitOfWork[EnrolmentTransaction], tenant_id: str) -> list[Course]:
    async with uow() as tx:
        return await tx.courses.courses(tenant_id)


async def create_cohort(
    uow: UnitOfWork[EnrolmentTransaction],
    clock: Clock,
    tenant_id: str,
    course: str,
    code: str,
    title: str,
) -> Cohort:
    async with uow() as tx:
        await require_course(tx, tenant_id, course)
        created = await tx.courses.create_cohort(tenant_id, course, code, title, clock())
    if created is None:
        raise duplicate_cohort(course, code)
    return created


async def list_cohorts(
    uow: UnitOfWork[EnrolmentTransaction], tenant_id: str, course: str | None
) -> list[Cohort]:
    async with uow() as tx:
        return await tx.courses.cohorts(tenant_id, course)


async def require_course(tx: EnrolmentTransaction, tenant_id: str, course: str) -> str:
    """The title of one of the tenant's courses (what people are shown of it). People and
    cohorts are only ever added to a course the tenant has: refused otherwise."""
    title = await tx.courses.title_of(tenant_id, course)
    if title is None:
        raise unknown_course(course)
    return title
