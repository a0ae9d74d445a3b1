"""An admin's resend: a new link for a person whose link expired or went missing (seeds
000 and 002). The invitation service is the one judge: it replaces the link in one
compare-and-set, and every earlier link is dead once it answers."""

from onboarding_contracts.internal.invitations import InvitationState, ResendIn
from onboarding_kit.clock import Clock
from onboarding_kit.uow import UnitOfWork

from enrolment.domain.invitations import Sent, check_can_send
from enrolment.invitations import Invitations
from enrolment.store import EnrolmentTransaction
from enrolment.store.invitations import InvitationView
from enrolment.use_cases.caller import Caller
from enrolment.use_cases.queries import existing_enrolment
from enrolment.use_cases.reactions import links_sent


async def resend_invitation(
    uow: UnitOfWork[EnrolmentTransaction],
    clock: Clock,
    invitations: Invitations,
    caller: Caller,
    enrolment_id: str,
) -> InvitationView:
    """Have the invitation service send the person a new link under the tenant's current
    rules; the invitations list shows it at once (the InvitationIssued that follows changes
    nothing more). Refused (409) for a cancelled or registered person, one never invited,
    and whatever the invitation service refuses, with its reason."""
    async with uow() as tx:
        enrolment = await existing_enrolment(tx, caller.tenant_id, enrolment_id)
        known = await tx.invitations.get(caller.tenant_id, enrolment_id)
        check_can_send(
            enrolment.status,
            registered=enrolment.registered_at is not None,
            invitation=known.status if known else None,
        )
        settings = await tx.tenants.settings(caller.tenant_id)
    # No transaction is held while the other service works.
    state = await invitations.resend(
        ResendIn(
            tenant_id=caller.tenant_id,
            enrolment_id=enrolment_id,
            link_policy=settings.link_policy,
        )
    )
    async with uow() as tx:
        await links_sent(tx, [_sent(enrolment_id, state)], clock())
        view = await tx.invitations.get(caller.tenant_id, enrolment_id)
    assert view is not None, "a link was just recorded"
    return view


def _sent(enrolment_id: str, state: InvitationState) -> Sent:
    return Sent(
        enrolment_id=enrolment_id,
        invitation_id=state.invitation_id,
        send_count=state.send_count,
        resend_count=state.resend_count,
        reminder_count=state.reminder_count,
        sent_at=state.last_sent_at,
        expires_at=state.expires_at,
    )
