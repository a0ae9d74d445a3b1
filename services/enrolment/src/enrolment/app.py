"""Wiring of the enrolment service."""

from pathlib import Path

from fastapi import FastAPI
from onboarding_contracts import (
    EnrolmentActivated,
    EnrolmentCancelled,
    EnrolmentCreated,
    InvitationRequested,
)
from onboarding_kit.runtime import ServiceRuntime
from onboarding_kit.settings import ServiceSettings

from enrolment.api import install_error_handlers, router
from enrolment.consumers import event_handlers

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


class EnrolmentSettings(ServiceSettings):
    service_name: str = "enrolment"
    http_port: int = 8001


def create_app(settings: EnrolmentSettings | None = None) -> FastAPI:
    runtime = ServiceRuntime(
        settings or EnrolmentSettings(),
        migrations=MIGRATIONS,
        handlers=event_handlers,
        emits=[EnrolmentCreated, InvitationRequested, EnrolmentActivated, EnrolmentCancelled],
    )
    app = runtime.create_app(title="Onboarding: enrolment", routers=[router])
    install_error_handlers(app)
    return app


def main() -> None:
    app = create_app()
    app.state.runtime.serve(app)


if __name__ == "__main__":
    main()
