"""Wiring of the enrolment service."""

from fastapi import FastAPI
from onboarding_contracts import (
    EnrolmentActivated,
    EnrolmentCancelled,
    EnrolmentCreated,
    InvitationRequested,
)
from onboarding_kit.runtime import build_service, serve

from enrolment.api import router
from enrolment.bootstrap import bootstrap
from enrolment.consumers import subscriptions
from enrolment.settings import MIGRATIONS, EnrolmentSettings


def create_app(settings: EnrolmentSettings | None = None) -> FastAPI:
    return build_service(
        settings or EnrolmentSettings(),
        title="Onboarding: enrolment",
        migrations=MIGRATIONS,
        emits=[EnrolmentCreated, InvitationRequested, EnrolmentActivated, EnrolmentCancelled],
        bootstrap=bootstrap,
        routers=[router],
        subscriptions=subscriptions,
    )


def main() -> None:
    serve(create_app)
