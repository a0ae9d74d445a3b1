"""The internal routes (`onboarding_contracts.internal.invitations` is the contract of both
sides): the registration service asks whether a link may be used, redeems it, and forwards
a person's request for a new link; the enrolment service resends an invitation for an
admin."""

from fastapi import APIRouter, status
from onboarding_contracts.internal.invitations import (
    INSPECT_PATH,
    NEW_LINK_PATH,
    PREFIX,
    REDEEM_PATH,
    RESEND_PATH,
    InvitationState,
    LinkDetails,
    NewLinkOut,
    RedeemIn,
    ResendIn,
    TokenIn,
)
from onboarding_kit.problems import problems

from invitation.api.deps import Deps, InternalCaller
from invitation.domain.resends import new_link_message
from invitation.store.invitations import Invitation
from invitation.use_cases.new_links import send_new_link
from invitation.use_cases.redeeming import inspect_invitation, redeem_invitation
from invitation.use_cases.resending import resend_invitation

router = APIRouter(prefix=PREFIX, tags=["internal"], dependencies=[InternalCaller])

# 401: no valid internal token. 404: no invitation has this link. 410: the link expired,
# was used, was withdrawn or was replaced by a newer one. Both refusals carry the
# contract's `reason`, `message` and `new_link_allowed`.
REFUSALS = problems(401, 404, 410)
# 409: no new link may be sent now; `reason` and `message` (ResendRefusedOut) say why.
RESEND_REFUSALS = problems(401, 409)


# What LinkDetails reads of the row as it is; the policy it builds.
_DETAILS_OF_THE_ROW = tuple(name for name in LinkDetails.model_fields if name != "link_policy")


def link_details(invitation: Invitation) -> LinkDetails:
    """Whose the link is, and the whole policy it was sent under: what registration needs to
    build the form (the course's title, the username source, the phone on file) and to
    decide whether the account waits for an admin."""
    return LinkDetails.model_validate(
        {
            **{name: getattr(invitation, name) for name in _DETAILS_OF_THE_ROW},
            "link_policy": invitation.policy,
        }
    )


@router.post(INSPECT_PATH, responses=REFUSALS)
async def inspect(body: TokenIn, deps: Deps) -> LinkDetails:
    """Whether a link may be used now, and whose it is. Changes nothing."""
    return link_details(await inspect_invitation(deps.uow, deps.clock, body.token))


@router.post(REDEEM_PATH, responses=REFUSALS)
async def redeem(body: RedeemIn, deps: Deps) -> LinkDetails:
    """Use a link: succeeds once, for one caller, while the invitation is pending."""
    invitation = await redeem_invitation(deps.uow, deps.clock, body.token, body.account_id)
    return link_details(invitation)


@router.post(RESEND_PATH, responses=RESEND_REFUSALS)
async def resend(body: ResendIn, deps: Deps) -> InvitationState:
    """Send the enrolment's invitation again with a new link, under the tenant's link
    policy; every earlier link is refused (`replaced`) from the moment this answers. 409
    when it is accepted, revoked, not issued yet, or was resent `max_resends` times."""
    invitation = await resend_invitation(deps.uow, deps.clock, deps.links, body)
    return InvitationState.model_validate(invitation, from_attributes=True)


@router.post(
    NEW_LINK_PATH,
    status_code=status.HTTP_202_ACCEPTED,
    responses={**REFUSALS, **problems(409)},
)
async def new_link(body: TokenIn, deps: Deps) -> NewLinkOut:
    """A person's own request, with a link of theirs that expired or was replaced: a new
    link goes to the address on file (a resend, under the same limit). 404/410 as inspect
    for a link unknown, used or withdrawn; 409 when the tenant does not allow it, a link
    was sent minutes ago, or the resend limit is reached."""
    invitation = await send_new_link(deps.uow, deps.clock, deps.links, body.token)
    return NewLinkOut(message=new_link_message(invitation.channel))
