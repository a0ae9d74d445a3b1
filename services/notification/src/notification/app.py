"""Wiring of the notification service (it has no routes of its own, only subscribers)."""

from pathlib import Path

from fastapi import FastAPI
from onboarding_contracts import NotificationFailed, NotificationSent
from onboarding_kit.runtime import build_service, serve

from notification.bootstrap import bootstrap
from notification.consumers import subscriptions
from notification.settings import NotificationSettings

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def create_app(settings: NotificationSettings | None = None) -> FastAPI:
    return build_service(
        settings or NotificationSettings(),
        title="Onboarding: notification",
        migrations=MIGRATIONS,
        emits=[NotificationSent, NotificationFailed],
        bootstrap=bootstrap,
        subscriptions=subscriptions,
    )


def main() -> None:
    serve(create_app)
