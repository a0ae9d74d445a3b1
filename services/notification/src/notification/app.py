"""Wiring of the notification service (it has no routes of its own, only subscribers)."""

from pathlib import Path

from fastapi import FastAPI
from onboarding_contracts import NotificationFailed, NotificationSent
from onboarding_kit.runtime import ServiceRuntime, serve

from notification.bootstrap import bootstrap
from notification.consumers import subscriptions
from notification.settings import NotificationSettings

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def create_app(settings: NotificationSettings | None = None) -> FastAPI:
    s = settings or NotificationSettings()
    runtime = ServiceRuntime(s, migrations=MIGRATIONS, emits=[NotificationSent, NotificationFailed])
    deps = bootstrap(runtime, s)
    return runtime.create_app(
        title="Onboarding: notification",
        routers=[],
        dependencies=deps,
        subscriptions=subscriptions(deps),
    )


def main() -> None:
    serve(create_app)


if __name__ == "__main__":
    main()
