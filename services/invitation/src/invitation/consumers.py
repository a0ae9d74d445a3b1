"""Events the invitation service applies."""

from datetime import timedelta
from typing import Any

import asyncpg
from onboarding_contracts import EnrolmentCreated, RegistrationCompleted
from onboarding_kit.consumer import EventHandler
from onboarding_kit.runtime import ServiceRuntime
from onboarding_kit.sealing import Sealer

from invitation import handlers
from invitation.api import utcnow
from invitation.store import InvitationStore


def event_handlers(runtime: ServiceRuntime) -> dict[str, EventHandler]:
    settings: Any = runtime.settings
    policy = handlers.IssuePolicy(
        registration_url=settings.registration_public_url,
        ttl=timedelta(hours=settings.invitation_ttl_hours),
        sealer=Sealer(settings.invitation_link_key),
    )

    async def enrolment_created(conn: asyncpg.Connection, event: EnrolmentCreated) -> None:
        await handlers.on_enrolment_created(InvitationStore(conn), event, policy, utcnow)

    async def registration_completed(
        conn: asyncpg.Connection, event: RegistrationCompleted
    ) -> None:
        await handlers.on_registration_completed(InvitationStore(conn), event)

    return {
        EnrolmentCreated.event_type: enrolment_created,
        RegistrationCompleted.event_type: registration_completed,
    }
