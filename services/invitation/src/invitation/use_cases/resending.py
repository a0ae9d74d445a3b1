"""An admin's resend (through the enrolment service): a new link replaces the invitation's
current one, whose every earlier link dies the moment this commits."""

from onboarding_contracts import Origin
from onboarding_contracts.internal.invitations import ResendIn, ResendRefusal
from onboarding_kit.clock import Clock
from onboarding_kit.uow import UnitOfWork

from invitation.domain.resends import resend_refusal
from invitation.errors import ResendRefused
from invitation.store import InvitationTransaction
from invitation.store.invitations import Invitation
from invitation.use_cases import SOURCE
from invitation.use_cases.sending import Links


async def resend_invitation(
    uow: UnitOfWork[InvitationTransaction], clock: Clock, links: Links, request: ResendIn
) -> Invitation:
    """Send the invitation of this enrolment again, with a new link lasting as long as the
    tenant's policy says now. `ResendRefused` says why not (409)."""
    policy = request.link_policy
    async with uow() as tx:
        at = clock()
        token, link = links.new_link(request.tenant_id, request.enrolment_id, policy, at)
        resent = await tx.lifecycle.resend(link)
        if resent is None:
            current = await tx.invitations.of_enrolment(request.tenant_id, request.enrolment_id)
            # No invitation (in this tenant): its first link is still on its way, or there
            # is none; one created since the compare-and-set was not there for it either.
            reason = ResendRefusal.NOT_ISSUED
            if current is not None:
                reason = (
                    resend_refusal(current.status, current.resend_count, policy.max_resends)
                    or reason
                )
            raise ResendRefused(reason, max_resends=policy.max_resends)
        origin = Origin(SOURCE, resent.tenant_id, resent.correlation_id)
        await tx.publish([links.issued(origin, resent, token, "resend", at)])
        return resent
