"""The events the invitation service applies: decode, call a use case."""

from onboarding_contracts import (
    CredentialsRequested,
    EnrolmentCancelled,
    EnrolmentCreated,
    InvitationRequested,
    RegistrationCompleted,
    ReminderRequested,
)
from onboarding_kit.consumer import Batched, Subscriptions

from invitation.bootstrap import InvitationDependencies
from invitation.store import InvitationTransaction
from invitation.use_cases.accounts import record_account
from invitation.use_cases.crediting import send_credentials
from invitation.use_cases.issuing import InvitationCause, issue_invitations
from invitation.use_cases.reminding import send_reminders
from invitation.use_cases.revoking import revoke_invitation


def subscriptions(deps: InvitationDependencies) -> Subscriptions[InvitationTransaction]:
    async def invite(tx: InvitationTransaction, causes: list[InvitationCause]) -> None:
        await issue_invitations(tx, causes, links=deps.links, clock=deps.clock, new_id=deps.new_id)

    async def remind(tx: InvitationTransaction, requests: list[ReminderRequested]) -> None:
        await send_reminders(tx, requests, links=deps.links, clock=deps.clock)

    async def credentials(tx: InvitationTransaction, requests: list[CredentialsRequested]) -> None:
        await send_credentials(tx, requests, links=deps.links, clock=deps.clock, new_id=deps.new_id)

    async def enrolment_cancelled(tx: InvitationTransaction, event: EnrolmentCancelled) -> None:
        await revoke_invitation(tx, event, deps.clock)

    async def registration_completed(
        tx: InvitationTransaction, event: RegistrationCompleted
    ) -> None:
        await record_account(tx, event, deps.clock)

    return Subscriptions(
        InvitationTransaction,
        {
            # Batched: a large import's invitations (or a course's reminders) are written a
            # few statements at a time, in one transaction per batch.
            EnrolmentCreated.event_type: Batched(invite),
            InvitationRequested.event_type: Batched(invite),
            ReminderRequested.event_type: Batched(remind),
            CredentialsRequested.event_type: Batched(credentials),
            EnrolmentCancelled.event_type: enrolment_cancelled,
            RegistrationCompleted.event_type: registration_completed,
        },
    )
