"""Events the notification service reacts to: decode, call a use case."""

from onboarding_contracts import AccountActivated, InvitationIssued
from onboarding_kit.consumer import Batched, Subscriptions

from notification.bootstrap import NotificationDependencies
from notification.store import NotificationTransaction
from notification.use_cases.deliver_invitations import deliver_invitations
from notification.use_cases.send_welcome_emails import send_welcome_emails


def subscriptions(deps: NotificationDependencies) -> Subscriptions[NotificationTransaction]:
    async def invitations_issued(
        tx: NotificationTransaction, events: list[InvitationIssued]
    ) -> None:
        await deliver_invitations(
            tx,
            events,
            email=deps.email,
            sealer=deps.sealer,
            sender=deps.sender,
            clock=deps.clock,
        )

    async def accounts_activated(
        tx: NotificationTransaction, events: list[AccountActivated]
    ) -> None:
        await send_welcome_emails(
            tx,
            events,
            email=deps.email,
            sign_in_url=deps.settings.sign_in_url,
            sender=deps.sender,
            clock=deps.clock,
        )

    return Subscriptions(
        NotificationTransaction,
        {
            InvitationIssued.event_type: Batched(invitations_issued),
            AccountActivated.event_type: Batched(accounts_activated),
        },
    )
