"""Wiring of the invitation service."""

from pathlib import Path

from fastapi import FastAPI
from onboarding_contracts import InvitationAccepted, InvitationIssued, InvitationRevoked
from onboarding_kit.runtime import ServiceRuntime
from onboarding_kit.settings import ServiceSettings
from pydantic import Field

from invitation.api import router
from invitation.consumers import event_handlers
from invitation.domain import DEFAULT_TTL

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


class InvitationSettings(ServiceSettings):
    service_name: str = "invitation"
    http_port: int = 8002
    registration_public_url: str = Field(
        default="http://127.0.0.1:8004", description="Base of the accept links sent to people"
    )
    invitation_ttl_hours: float = Field(default=DEFAULT_TTL.total_seconds() / 3600, gt=0)
    invitation_link_key: str = Field(description="AES-256-GCM key sealing accept links")
    internal_api_token: str = Field(min_length=16)


def create_app(settings: InvitationSettings | None = None) -> FastAPI:
    runtime = ServiceRuntime(
        settings or InvitationSettings(),
        migrations=MIGRATIONS,
        handlers=event_handlers,
        emits=[InvitationIssued, InvitationAccepted, InvitationRevoked],
    )
    return runtime.create_app(title="Onboarding: invitation", routers=[router])


def main() -> None:
    app = create_app()
    app.state.runtime.serve(app)


if __name__ == "__main__":
    main()
