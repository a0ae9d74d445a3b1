"""Wiring of the registration service."""

from pathlib import Path

from fastapi import FastAPI
from onboarding_contracts import AccountActivated, RegistrationCompleted
from onboarding_kit.runtime import ServiceRuntime
from onboarding_kit.settings import ServiceSettings
from pydantic import Field

from registration.api import invitation_service_unavailable, router
from registration.invitations import InvitationClient, InvitationServiceUnavailable

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


class RegistrationSettings(ServiceSettings):
    service_name: str = "registration"
    http_port: int = 8004
    invitation_url: str = Field(default="http://127.0.0.1:8002", description="Invitation service")
    internal_api_token: str = Field(min_length=16)


def create_app(settings: RegistrationSettings | None = None) -> FastAPI:
    s = settings or RegistrationSettings()
    invitations = InvitationClient(s.invitation_url, s.internal_api_token)
    runtime = ServiceRuntime(
        s,
        migrations=MIGRATIONS,
        on_stop=[invitations.close],
        emits=[RegistrationCompleted, AccountActivated],
    )
    app = runtime.create_app(title="Onboarding: registration", routers=[router])
    app.state.invitations = invitations
    app.add_exception_handler(InvitationServiceUnavailable, invitation_service_unavailable)
    return app


def main() -> None:
    app = create_app()
    app.state.runtime.serve(app)


if __name__ == "__main__":
    main()
