"""Wiring of the registration service."""

from pathlib import Path

from fastapi import FastAPI
from onboarding_contracts import AccountActivated, RegistrationCompleted
from onboarding_kit.runtime import ServiceRuntime, serve

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
    s = settings or RegistrationSettings()
    runtime = ServiceRuntime(
        s, migrations=MIGRATIONS, emits=[RegistrationCompleted, AccountActivated]
    )
    deps = bootstrap(runtime, s, invitations=invitations)
    return runtime.create_app(
        title="Onboarding: registration", routers=[router], dependencies=deps, jobs=jobs(deps)
    )


def main() -> None:
    serve(create_app)


if __name__ == "__main__":
    main()
