"""Inspecting and redeeming links: this service is the single judge of their use (and of
why a link cannot be used: unknown, expired, used, revoked, or replaced by a newer one)."""

from datetime import datetime

from onboarding_contracts import InvitationAccepted, Origin
from onboarding_contracts.events import InvitationAcceptedData
from onboarding_contracts.internal.invitations import LinkRefusal
from onboarding_kit.clock import Clock
from onboarding_kit.uow import UnitOfWork

from invitation.domain.links import hash_token
from invitation.domain.resends import new_link_allowed
from invitation.domain.statuses import refusal, replaced_refusal
from invitation.errors import LinkRefused
from invitation.store import InvitationTransaction
from invitation.store.invitations import Invitation
from invitation.use_cases import SOURCE


async def _usable(tx: InvitationTransaction, token: str, at: datetime) -> Invitation:
    """The invitation of this link if it may be used at `at`; else LinkRefused says why."""
    token_hash = hash_token(token)
    invitation = await tx.invitations.by_token_hash(token_hash)
    if invitation is None:
        replaced = await tx.invitations.replaced_by_hash(token_hash)
        if replaced is None:
            raise LinkRefused(LinkRefusal.UNKNOWN)
        raise refused(replaced_refusal(replaced.status), replaced)
    reason = refusal(invitation.status, invitation.expires_at, at)
    if reason is not None:
        raise refused(reason, invitation)
    return invitation


def refused(reason: LinkRefusal, invitation: Invitation) -> LinkRefused:
    """The refusal of a link of `invitation`; for a link that merely expired or was replaced,
    it says whether the person may ask for a new one from the page."""
    offered = reason in (LinkRefusal.EXPIRED, LinkRefusal.REPLACED)
    return LinkRefused(reason, new_link_allowed=offered and new_link_allowed(invitation))


async def inspect_invitation(
    uow: UnitOfWork[InvitationTransaction], clock: Clock, token: str
) -> Invitation:
    """The invitation a link belongs to, if the link may be used now. Changes nothing."""
    async with uow() as tx:
        return await _usable(tx, token, clock())


async def redeem_invitation(
    uow: UnitOfWork[InvitationTransaction],
    clock: Clock,
    token: str,
    account_id: str | None = None,
) -> Invitation:
    """Use a link, once. Raises LinkRefused with the reason when it cannot be used. The
    account it was redeemed for may ask again and gets the same answer."""
    async with uow() as tx:
        at = clock()  # read once: the redeem and the reason it failed are judged at one instant
        redeemed = await tx.invitations.redeem(hash_token(token), at, account_id)
        if redeemed is None:
            await _usable(tx, token, at)  # raises with the reason
            raise LinkRefused(LinkRefusal.USED)  # lost a race to a concurrent redeem
        invitation, first_time = redeemed
        if first_time:
            await tx.publish(
                [
                    InvitationAccepted.new(
                        Origin(SOURCE, invitation.tenant_id, invitation.correlation_id),
                        InvitationAcceptedData(
                            invitation_id=invitation.id,
                            enrolment_id=invitation.enrolment_id,
                            accepted_at=at,
                        ),
                    )
                ]
            )
        return invitation
