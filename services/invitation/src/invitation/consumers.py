"""Events the invitation service applies."""

from datetime import timedelta
from typing import Any

import asyncpg
from onboarding_contracts import (
    EnrolmentCancelled,
    EnrolmentCreated,
    InvitationRequested,
    RegistrationCompleted,
)
from onboarding_kit.consumer import Batched, EventHandler
from onboarding_kit.runtime import ServiceRuntime
from onboarding_kit.sealing import Sealer

from invitation import handlers
from invitation.store import InvitationStore


def event_handlers(runtime: ServiceRuntime) -> dict[str, EventHandler]:
    settings: Any = runtime.settings
    policy = handlers.IssuePolicy(
        registration_url=settings.registration_public_url,
        ttl=timedelta(hours=settings.invitation_ttl_hours),
        sealer=Sealer(settings.invitation_link_key),
    )

    async def enrolment_created(conn: asyncpg.Connection, events: list[EnrolmentCreated]) -> None:
        await handlers.on_enrolment_created(InvitationStore(conn), events, policy, handlers.utcnow)

    async def invitation_requested(
        conn: asyncpg.Connection, events: list[InvitationRequested]
    ) -> None:
        await handlers.on_invitation_requested(
            InvitationStore(conn), events, policy, handlers.utcnow
        )

    async def enrolment_cancelled(conn: asyncpg.Connection, event: EnrolmentCancelled) -> None:
        await handlers.on_enrolment_cancelled(InvitationStore(conn), event, handlers.utcnow)

    async def registration_completed(
        conn: asyncpg.Connection, event: RegistrationCompleted
    ) -> None:
        await handlers.on_registration_completed(InvitationStore(conn), event)

    return {
        EnrolmentCreated.event_type: Batched(enrolment_created),
        InvitationRequested.event_type: Batched(invitation_requested),
        EnrolmentCancelled.event_type: enrolment_cancelled,
        RegistrationCompleted.event_type: registration_completed,
    }
