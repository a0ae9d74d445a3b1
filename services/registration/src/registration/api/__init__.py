"""HTTP routes of the registration service: the join pages for people, JSON for programs."""

from fastapi import APIRouter

from registration.api import join, registrations, usernames

router = APIRouter()
router.include_router(join.router)
router.include_router(registrations.router)
router.include_router(usernames.router)
