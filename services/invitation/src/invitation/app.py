"""Wiring of the invitation service."""

from pathlib import Path

from fastapi import FastAPI
from onboarding_contracts import InvitationAccepted, InvitationIssued, InvitationRevoked
from onboarding_kit.runtime import build_service, serve

from invitation.api import router
from invitation.bootstrap import bootstrap
from invitation.consumers import subscriptions
from invitation.settings import InvitationSettings

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"

# InvitationSettings is re-exported: other services' tests start this one through this module.
__all__ = ["MIGRATIONS", "InvitationSettings", "create_app", "main"]


def create_app(settings: InvitationSettings | None = None) -> FastAPI:
    return build_service(
        settings or InvitationSettings(),
        title="Onboarding: invitation",
        migrations=MIGRATIONS,
        emits=[InvitationIssued, InvitationAccepted, InvitationRevoked],
        bootstrap=bootstrap,
        routers=[router],
        subscriptions=subscriptions,
    )


def main() -> None:
    serve(create_app)
