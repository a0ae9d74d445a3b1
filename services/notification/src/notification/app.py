"""Wiring of the notification service."""

from pathlib import Path

from fastapi import FastAPI
from onboarding_contracts import NotificationFailed, NotificationSent
from onboarding_kit.runtime import ServiceRuntime
from onboarding_kit.settings import ServiceSettings
from pydantic import Field

from notification.consumers import event_handlers
from notification.mailer import SmtpPool

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


class NotificationSettings(ServiceSettings):
    service_name: str = "notification"
    http_port: int = 8003
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 2525
    smtp_pool_size: int = Field(default=8, ge=1)
    mail_from: str = "Onboarding <no-reply@onboarding.local>"
    invitation_link_key: str = Field(description="AES-256-GCM key that opens sealed accept links")


def create_app(settings: NotificationSettings | None = None) -> FastAPI:
    s = settings or NotificationSettings()
    smtp = SmtpPool(s.smtp_host, s.smtp_port, size=s.smtp_pool_size)
    runtime = ServiceRuntime(
        s,
        migrations=MIGRATIONS,
        handlers=lambda rt: event_handlers(rt, smtp.send),
        on_stop=[smtp.close],
        emits=[NotificationSent, NotificationFailed],
    )
    return runtime.create_app(title="Onboarding: notification", routers=[])


def main() -> None:
    app = create_app()
    app.state.runtime.serve(app)


if __name__ == "__main__":
    main()
