"""The enrolment service's HTTP API, one router per resource, all under `/v1`."""

from fastapi import APIRouter

from enrolment.api import (
    activations,
    courses,
    credentials,
    enrolments,
    funnel,
    imports,
    invitations,
    settings,
)

router = APIRouter(prefix="/v1", tags=["enrolment"])
router.include_router(courses.router)
router.include_router(settings.router)
router.include_router(enrolments.router)
router.include_router(imports.router)
router.include_router(invitations.router)
router.include_router(activations.router)
router.include_router(credentials.router)
router.include_router(funnel.router)
