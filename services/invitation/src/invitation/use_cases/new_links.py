"""A person's own request for a new link, from the page of an expired or replaced one.

It counts as a resend (the same limit), is allowed only when the tenant's policy stored
with the invitation lets people ask, and not moments after a link was sent. The new link
goes to the address on file, never to one the request could name."""

from datetime import datetime

from onboarding_contracts import Origin
from onboarding_contracts.internal.invitations import LinkRefusal, ResendRefusal
from onboarding_kit.clock import Clock
from onboarding_kit.uow import UnitOfWork

from invitation.domain.links import hash_token
from invitation.domain.resends import NEW_LINK_GAP, new_link_refusal
from invitation.domain.statuses import refusal
from invitation.errors import LinkRefused, ResendRefused
from invitation.store import InvitationTransaction
from invitation.store.invitations import Invitation
from invitation.use_cases import SOURCE
from invitation.use_cases.sending import Links


async def send_new_link(
    uow: UnitOfWork[InvitationTransaction], clock: Clock, links: Links, token: str
) -> Invitation:
    """Send a new link for the invitation `token` is a link of (its current one or an
    earlier one). `LinkRefused` (404, 410) for a link unknown, used or withdrawn, as
    inspecting it says; `ResendRefused` (409) when no new link may be sent now."""
    async with uow() as tx:
        at = clock()
        invitation = await _holder(tx, token)
        _judge(invitation, at)
        # The request brings no policy: the one the link was sent with.
        new_token, link = links.new_link(
            invitation.tenant_id, invitation.enrolment_id, invitation.policy, at
        )
        resent = await tx.lifecycle.resend_on_request(link, sent_before=at - NEW_LINK_GAP)
        if resent is None:
            # Another request (a double click, an admin's resend, a reminder) got there
            # first: judge the invitation as it left it.
            current = await tx.invitations.of_enrolment(
                invitation.tenant_id, invitation.enrolment_id
            )
            _judge(current or invitation, at)
            raise ResendRefused(ResendRefusal.TOO_SOON, max_resends=invitation.max_resends)
        origin = Origin(SOURCE, resent.tenant_id, resent.correlation_id)
        await tx.publish([links.issued(origin, resent, new_token, "resend", at)])
        return resent


async def _holder(tx: InvitationTransaction, token: str) -> Invitation:
    token_hash = hash_token(token)
    invitation = await tx.invitations.by_token_hash(token_hash)
    if invitation is None:
        invitation = await tx.invitations.replaced_by_hash(token_hash)
    if invitation is None:
        raise LinkRefused(LinkRefusal.UNKNOWN)
    return invitation


def _judge(invitation: Invitation, at: datetime) -> None:
    """Raise why no new link may be sent for `invitation` now, if it may not."""
    dead = refusal(invitation.status, invitation.expires_at, at)
    if dead in (LinkRefusal.USED, LinkRefusal.REVOKED):
        raise LinkRefused(dead)
    reason = new_link_refusal(invitation, at)
    if reason is not None:
        raise ResendRefused(reason, max_resends=invitation.max_resends)
