"""Events the notification service applies."""

from datetime import UTC, datetime
from typing import Any

import asyncpg
from onboarding_contracts import InvitationIssued
from onboarding_kit.consumer import Batched, EventHandler
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

    async def invitations_issued(conn: asyncpg.Connection, events: list[InvitationIssued]) -> None:
        await handlers.on_invitations_issued(NotificationStore(conn), events, delivery)

    return {InvitationIssued.event_type: Batched(invitations_issued)}
