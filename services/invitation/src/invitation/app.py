"""Wiring of the invitation service."""

from functools import partial
from pathlib import Path

from fastapi import FastAPI
from onboarding_contracts import (
    InvitationAccepted,
    InvitationExpired,
    InvitationIssued,
    InvitationRevoked,
)
from onboarding_kit.clock import Clock, utcnow
from onboarding_kit.milestones import Milestones, always
from onboarding_kit.runtime import build_service, serve

from invitation.api import router
from invitation.bootstrap import bootstrap
from invitation.consumers import subscriptions
from invitation.jobs import jobs
from invitation.settings import InvitationSettings

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
# Counted once the broker has them (onboarding_people_total): a person is invited by their
# first link, whatever sent it.
MILESTONES = Milestones(
    {
        InvitationIssued.event_type: lambda data: (
            "invited" if data.get("send_count") == 1 else None
        ),
        InvitationExpired.event_type: always("expired"),
    }
)

# InvitationSettings is re-exported: other services' tests start this one through this module.
__all__ = ["MIGRATIONS", "InvitationSettings", "create_app", "main"]


def create_app(settings: InvitationSettings | None = None, *, clock: Clock = utcnow) -> FastAPI:
    """The service; `clock` replaces the time it reads everywhere (for tests)."""
    return build_service(
        settings or InvitationSettings(),
        title="Onboarding: invitation",
        migrations=MIGRATIONS,
        emits=[InvitationIssued, InvitationExpired, InvitationAccepted, InvitationRevoked],
        bootstrap=partial(bootstrap, clock=clock),
        milestones=MILESTONES,
        routers=[router],
        subscriptions=subscriptions,
        jobs=jobs,
    )


def main() -> None:
    serve(create_app)
