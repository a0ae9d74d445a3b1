"""Events the enrolment service applies: each handler runs in the consumer's transaction."""

from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
from onboarding_contracts import (
    AccountActivated,
    InvitationIssued,
    NotificationFailed,
    NotificationSent,
    RegistrationCompleted,
)
from onboarding_kit.consumer import Batched, EventHandler
from onboarding_kit.runtime import ServiceRuntime

from enrolment import handlers
from enrolment.store import EnrolmentStore


def _with_store(handler: Callable[[EnrolmentStore, Any], Awaitable[None]]) -> EventHandler:
    async def apply(conn: asyncpg.Connection, event: Any) -> None:
        await handler(EnrolmentStore(conn), event)

    return apply


def _batched(handler: Callable[[EnrolmentStore, list[Any]], Awaitable[None]]) -> EventHandler:
    async def apply(conn: asyncpg.Connection, events: list[Any]) -> None:
        await handler(EnrolmentStore(conn), events)

    return Batched(apply)


def event_handlers(_: ServiceRuntime) -> dict[str, EventHandler]:
    return {
        InvitationIssued.event_type: _batched(handlers.on_invitations_issued),
        NotificationSent.event_type: _batched(handlers.on_notifications_sent),
        NotificationFailed.event_type: _with_store(handlers.on_notification_failed),
        RegistrationCompleted.event_type: _with_store(handlers.on_registration_completed),
        AccountActivated.event_type: _with_store(handlers.on_account_activated),
    }
