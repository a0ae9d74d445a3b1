"""Settings of the notification service, read from the environment."""

from onboarding_kit.settings import ServiceSettings
from pydantic import Field


class NotificationSettings(ServiceSettings):
    service_name: str = "notification"
    http_port: int = 8003
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 2525
    smtp_pool_size: int = Field(default=8, ge=1)
    mail_from: str = "Onboarding <no-reply@onboarding.local>"
    sign_in_url: str = Field(
        default="http://127.0.0.1:8004/",
        description="The education platform's sign-in page, linked from the welcome email",
    )
    invitation_link_key: str = Field(description="AES-256-GCM key that opens sealed accept links")
