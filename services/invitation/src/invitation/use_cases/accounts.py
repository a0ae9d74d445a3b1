"""Recording the account a person registered with their invitation."""

from onboarding_contracts import RegistrationCompleted
from onboarding_kit.clock import Clock

from invitation.store import InvitationTransaction


async def record_account(
    tx: InvitationTransaction, completed: RegistrationCompleted, clock: Clock
) -> None:
    await tx.invitations.record_account(
        completed.data.invitation_id, completed.data.account_id, clock()
    )
