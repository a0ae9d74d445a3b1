"""The invitation service's HTTP routes (internal only: people never call it)."""

from fastapi import APIRouter

from invitation.api import invitations

router = APIRouter()
router.include_router(invitations.router)
