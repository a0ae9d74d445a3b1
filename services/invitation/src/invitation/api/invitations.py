"""The internal routes: the registration service asks whether a link may be used, and
redeems it (`onboarding_contracts.internal.invitations` is the contract of both sides)."""

from fastapi import APIRouter
from onboarding_contracts.internal.invitations import (
    INSPECT_PATH,
    PREFIX,
    REDEEM_PATH,
    LinkDetails,
    RedeemIn,
    TokenIn,
)
from onboarding_kit.problems import problems

from invitation.api.deps import Deps, InternalCaller
from invitation.store.invitations import Invitation
from invitation.use_cases.redeeming import inspect_invitation, redeem_invitation

router = APIRouter(prefix=PREFIX, tags=["internal"], dependencies=[InternalCaller])

# 401: no valid internal token. 404: no invitation has this link. 410: the link expired,
# was used or was withdrawn. Both refusals carry the contract's `reason` and `message`.
REFUSALS = problems(401, 404, 410)


def link_details(invitation: Invitation) -> LinkDetails:
    return LinkDetails.model_validate(invitation, from_attributes=True)


@router.post(INSPECT_PATH, responses=REFUSALS)
async def inspect(body: TokenIn, deps: Deps) -> LinkDetails:
    """Whether a link may be used now, and whose it is. Changes nothing."""
    return link_details(await inspect_invitation(deps.uow, deps.clock, body.token))


@router.post(REDEEM_PATH, responses=REFUSALS)
async def redeem(body: RedeemIn, deps: Deps) -> LinkDetails:
    """Use a link: succeeds once, for one caller, while the invitation is pending."""
    invitation = await redeem_invitation(deps.uow, deps.clock, body.token, body.account_id)
    return link_details(invitation)
