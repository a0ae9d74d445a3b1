"""Events the notification service applies."""

from datetime import UTC, datetime
from typing import Any

import asyncpg
from onboarding_contracts import InvitationIssued
from onboarding_kit.consumer import EventHandler
from onboarding_kit.runtime import ServiceRuntime
from onboarding_kit.sealing import Sealer

from notification import handlers
from notification.store import NotificationStore


def event_handlers(
    runtime: ServiceRuntime, send_email: handlers.SendEmail
) -> dict[str, EventHandler]:
    settings: Any = runtime.settings
    delivery = handlers.Delivery(
        send_email=send_email,
        sealer=Sealer(settings.invitation_link_key),
        sender=settings.mail_from,
        now=lambda: datetime.now(UTC),
    )

    async def invitation_issued(conn: asyncpg.Connection, event: InvitationIssued) -> None:
        await handlers.on_invitation_issued(NotificationStore(conn), event, delivery)

    return {InvitationIssued.event_type: invitation_issued}
