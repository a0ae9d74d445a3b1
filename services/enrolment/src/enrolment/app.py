"""Wiring of the enrolment service."""

from fastapi import FastAPI
from onboarding_contracts import (
    EnrolmentActivated,
    EnrolmentCancelled,
    EnrolmentCreated,
    InvitationRequested,
)
from onboarding_kit.runtime import ServiceRuntime, serve

from enrolment.api import router
from enrolment.bootstrap import bootstrap
from enrolment.consumers import subscriptions
from enrolment.settings import MIGRATIONS, EnrolmentSettings


def create_app(settings: EnrolmentSettings | None = None) -> FastAPI:
    settings = settings or EnrolmentSettings()
    runtime = ServiceRuntime(
        settings,
        migrations=MIGRATIONS,
        emits=[EnrolmentCreated, InvitationRequested, EnrolmentActivated, EnrolmentCancelled],
    )
    deps = bootstrap(runtime, settings)
    return runtime.create_app(
        title="Onboarding: enrolment",
        routers=[router],
        dependencies=deps,
        subscriptions=subscriptions(deps),
    )


def main() -> None:
    serve(create_app)


if __name__ == "__main__":
    main()
