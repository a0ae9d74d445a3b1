"""Wiring of the notification service: its subscribers (which queue messages), the sender
(a worker), and the SMS provider's status callback."""

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from onboarding_contracts import (
    NotificationDeferred,
    NotificationDelivered,
    NotificationFailed,
    NotificationSent,
)
from onboarding_kit.milestones import Milestones
from onboarding_kit.runtime import build_service, serve

from notification.api.sms_status import router
from notification.bootstrap import bootstrap
from notification.consumers import subscriptions
from notification.settings import NotificationSettings

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def _reached_by_first_link(data: Mapping[str, Any]) -> str | None:
    if data.get("kind") == "welcome" or data.get("send_count") != 1:
        return None
    return "texted" if data.get("channel") == "sms" else "emailed"


def _failed(data: Mapping[str, Any]) -> str | None:
    return None if data.get("kind") == "welcome" else "failed"


# Counted once the broker has them (onboarding_people_total): a person is emailed (or
# texted) by their first link's message; a link's message given up fails them.
MILESTONES = Milestones(
    {
        NotificationSent.event_type: _reached_by_first_link,
        NotificationFailed.event_type: _failed,
    }
)


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
        milestones=MILESTONES,
    )


def main() -> None:
    serve(create_app)
