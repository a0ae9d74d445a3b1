"""Wiring of the invitation service."""

from pathlib import Path

from fastapi import FastAPI
from onboarding_contracts import InvitationAccepted, InvitationIssued, InvitationRevoked
from onboarding_kit.runtime import ServiceRuntime, serve

from invitation.api import router
from invitation.bootstrap import bootstrap
from invitation.consumers import subscriptions
from invitation.settings import InvitationSettings

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"

# InvitationSettings is re-exported: other services' tests start this one through this module.
__all__ = ["MIGRATIONS", "InvitationSettings", "create_app", "main"]


def create_app(settings: InvitationSettings | None = None) -> FastAPI:
    settings = settings or InvitationSettings()
    runtime = ServiceRuntime(
        settings,
        migrations=MIGRATIONS,
        emits=[InvitationIssued, InvitationAccepted, InvitationRevoked],
    )
    deps = bootstrap(runtime, settings)
    return runtime.create_app(
        title="Onboarding: invitation",
        routers=[router],
        dependencies=deps,
        subscriptions=subscriptions(deps),
    )


def main() -> None:
    serve(create_app)


if __name__ == "__main__":
    main()
