"""Wiring of the enrolment service."""

from functools import partial

from fastapi import FastAPI
from onboarding_contracts import (
    ActivationApproved,
    CredentialsRequested,
    EnrolmentActivated,
    EnrolmentCancelled,
    EnrolmentCreated,
    InvitationRequested,
    MessagingSettingsChanged,
    ReminderRequested,
)
from onboarding_kit.milestones import Milestones, always
from onboarding_kit.runtime import build_service, serve

from enrolment.api import reports, router
from enrolment.bootstrap import bootstrap
from enrolment.consumers import subscriptions
from enrolment.invitations import Invitations
from enrolment.jobs import jobs
from enrolment.settings import MIGRATIONS, EnrolmentSettings


def create_app(
    settings: EnrolmentSettings | None = None, *, invitations: Invitations | None = None
) -> FastAPI:
    """The service; `invitations` replaces the HTTP client of the invitation service (the
    caller closes it)."""
    return build_service(
        settings or EnrolmentSettings(),
        title="Onboarding: enrolment",
        migrations=MIGRATIONS,
        emits=[
            EnrolmentCreated,
            InvitationRequested,
            ReminderRequested,
            CredentialsRequested,
            EnrolmentActivated,
            EnrolmentCancelled,
            ActivationApproved,
            MessagingSettingsChanged,
        ],
        bootstrap=partial(bootstrap, invitations=invitations),
        # Counted once the broker has them (onboarding_people_total).
        milestones=Milestones({EnrolmentCreated.event_type: always("enrolled")}),
        routers=[router, reports.router],
        subscriptions=subscriptions,
        jobs=jobs,
    )


def main() -> None:
    serve(create_app)
