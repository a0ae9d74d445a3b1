"""Revoking an invitation when its enrolment is cancelled: its link stops working."""

from onboarding_contracts import EnrolmentCancelled, InvitationRevoked, Origin
from onboarding_contracts.events import InvitationRevokedData
from onboarding_kit.clock import Clock

from invitation.store import InvitationTransaction
from invitation.use_cases import SOURCE


async def revoke_invitation(
    tx: InvitationTransaction, cancelled: EnrolmentCancelled, clock: Clock
) -> None:
    """Withdraw the pending invitation of a cancelled enrolment."""
    at = clock()
    invitation = await tx.invitations.revoke(cancelled.data.enrolment_id, at)
    if invitation is None:
        return  # never invited, or already accepted, expired or revoked
    await tx.publish(
        [
            InvitationRevoked.new(
                Origin.reacting_to(cancelled, SOURCE),
                InvitationRevokedData(
                    invitation_id=invitation.id,
                    enrolment_id=invitation.enrolment_id,
                    revoked_at=at,
                ),
            )
        ]
    )
