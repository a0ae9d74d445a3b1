"""A tenant's messaging settings, kept as the enrolment service announces them: its sender
name and intro for every later message, its send rate for the sender."""

from onboarding_contracts import MessagingSettingsChanged

from notification.store import NotificationTransaction
from notification.store.tenants import TenantMessaging


async def record_messaging_settings(
    tx: NotificationTransaction, event: MessagingSettingsChanged
) -> None:
    data = event.data
    await tx.tenants.record(
        TenantMessaging(
            tenant_id=data.tenant_id,
            sender_name=data.sender_name,
            message_intro=data.message_intro,
            messages_per_second=data.messages_per_second,
        ),
        changed_at=event.time,
    )
