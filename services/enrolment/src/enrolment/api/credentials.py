"""The route of credentials for people who skip the sign-up form (seeds 003 and 004)."""

from fastapi import APIRouter
from onboarding_kit.problems import problems

from enrolment.api.deps import CurrentCaller, Deps
from enrolment.api.schemas import CredentialsIn, CredentialsOut
from enrolment.use_cases import crediting

router = APIRouter()


@router.post("/enrolments:credentials", status_code=202, responses=problems(401, 422))
async def send_credentials(
    body: CredentialsIn, deps: Deps, caller: CurrentCaller
) -> CredentialsOut:
    """Make the account of everyone selected who has not registered (enrolled, invited or
    expired) and send them, by email or SMS, their sign-in name (their email address) and
    a single-use link to set their password; never a password. The link follows the
    tenant's link rules and replaces any invitation link sent before. Someone with an
    account in the tenant by now is active at once instead."""
    sent = await crediting.send_credentials(
        deps.uow, deps.clock, caller, body.selection(), body.channel
    )
    return CredentialsOut(
        requested=sent.requested, activated=sent.activated, unreachable=sent.unreachable
    )
