"""Wiring of the notification service: its subscribers (which queue messages), the sender
(a worker), and the SMS provider's status callback."""

from pathlib import Path

from fastapi import FastAPI
from onboarding_contracts import (
    NotificationDeferred,
    NotificationDelivered,
    NotificationFailed,
    NotificationSent,
)
from onboarding_kit.runtime import build_service, serve

from notification.api.sms_status import router
from notification.bootstrap import bootstrap
from notification.consumers import subscriptions
from notification.settings import NotificationSettings

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def create_app(settings: NotificationSettings | None = None) -> FastAPI:
    return build_service(
        settings or NotificationSettings(),
        title="Onboarding: notification",
        migrations=MIGRATIONS,
        emits=[NotificationSent, NotificationDeferred, NotificationDelivered, NotificationFailed],
        bootstrap=bootstrap,
        routers=[router],
        subscriptions=subscriptions,
        workers=lambda deps: [deps.sender],
    )


def main() -> None:
    serve(create_app)
