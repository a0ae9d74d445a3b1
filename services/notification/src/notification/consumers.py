"""Events the notification service reacts to: decode, call a use case. Each handler only
queues messages (or records settings): the sender sends them after the commit."""

from onboarding_contracts import AccountActivated, InvitationIssued, MessagingSettingsChanged
from onboarding_kit.consumer import Batched, Subscriptions

from notification.bootstrap import NotificationDependencies
from notification.store import NotificationTransaction
from notification.use_cases.queueing import queue_link_messages, queue_welcomes
from notification.use_cases.tenant_settings import record_messaging_settings


def subscriptions(deps: NotificationDependencies) -> Subscriptions[NotificationTransaction]:
    async def invitations_issued(
        tx: NotificationTransaction, events: list[InvitationIssued]
    ) -> None:
        await queue_link_messages(tx, events, deps.clock(), deps.sealer)

    async def accounts_activated(
        tx: NotificationTransaction, events: list[AccountActivated]
    ) -> None:
        await queue_welcomes(tx, events, deps.clock())

    async def messaging_settings_changed(
        tx: NotificationTransaction, event: MessagingSettingsChanged
    ) -> None:
        await record_messaging_settings(tx, event)

    return Subscriptions(
        NotificationTransaction,
        {
            InvitationIssued.event_type: Batched(invitations_issued),
            AccountActivated.event_type: Batched(accounts_activated),
            MessagingSettingsChanged.event_type: messaging_settings_changed,
        },
    )
