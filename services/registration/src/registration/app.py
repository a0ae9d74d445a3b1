"""Wiring of the registration service."""

from functools import partial
from pathlib import Path

from fastapi import FastAPI
from onboarding_contracts import AccountActivated, RegistrationCompleted
from onboarding_kit.runtime import build_service, serve

from registration.api import router
from registration.bootstrap import bootstrap
from registration.invitations import Invitations
from registration.jobs import jobs
from registration.settings import RegistrationSettings

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def create_app(
    settings: RegistrationSettings | None = None, *, invitations: Invitations | None = None
) -> FastAPI:
    """The service; `invitations` replaces the HTTP client of the invitation service (the
    caller closes it)."""
    return build_service(
        settings or RegistrationSettings(),
        title="Onboarding: registration",
        migrations=MIGRATIONS,
        emits=[RegistrationCompleted, AccountActivated],
        bootstrap=partial(bootstrap, invitations=invitations),
        routers=[router],
        jobs=jobs,
    )


def main() -> None:
    serve(create_app)
