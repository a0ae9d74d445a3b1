"""Wiring of the registration service."""

from functools import partial
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from onboarding_contracts import AccountActivated, RegistrationCompleted
from onboarding_kit.milestones import Milestones, always
from onboarding_kit.runtime import build_service, serve

from registration.api import router
from registration.api.headers import SecurityHeaders
from registration.bootstrap import bootstrap
from registration.consumers import subscriptions
from registration.invitations import Invitations
from registration.jobs import jobs
from registration.settings import RegistrationSettings

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def create_app(
    settings: RegistrationSettings | None = None, *, invitations: Invitations | None = None
) -> FastAPI:
    """The service; `invitations` replaces the HTTP client of the invitation service (the
    caller closes it)."""
    app = build_service(
        settings or RegistrationSettings(),
        title="Onboarding: registration",
        migrations=MIGRATIONS,
        emits=[RegistrationCompleted, AccountActivated],
        bootstrap=partial(bootstrap, invitations=invitations),
        # Counted once the broker has them (onboarding_people_total).
        milestones=Milestones(
            {
                RegistrationCompleted.event_type: always("registered"),
                AccountActivated.event_type: always("activated"),
            }
        ),
        routers=[router],
        subscriptions=subscriptions,
        jobs=jobs,
    )
    # The join page's style and script: files of its own, as its CSP allows no inline ones.
    app.mount("/static", StaticFiles(packages=[("registration", "static")]), name="static")
    app.add_middleware(SecurityHeaders)
    return app


def main() -> None:
    serve(create_app)
