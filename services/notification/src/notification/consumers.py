"""Events the notification service reacts to: decode, call a use case."""

from onboarding_contracts import InvitationIssued
from onboarding_kit.consumer import Batched, Subscriptions

from notification.bootstrap import NotificationDependencies
from notification.store import NotificationTransaction
from notification.use_cases.deliver_invitations import deliver_invitations


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

    return Subscriptions(
        NotificationTransaction, {InvitationIssued.event_type: Batched(invitations_issued)}
    )
