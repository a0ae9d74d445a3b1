"""Settings of the notification service, read from the environment."""

from typing import Literal

from onboarding_kit.settings import ServiceSettings
from pydantic import Field, SecretStr


class NotificationSettings(ServiceSettings):
    service_name: str = "notification"
    http_port: int = 8003
    # SMTP: a local sink by default; a real server with STARTTLS or implicit TLS, and login.
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 2525
    smtp_tls: Literal["none", "starttls", "tls"] = Field(
        default="none",
        description="none; starttls: upgrade the connection (port 587); tls: TLS from the "
        "start (port 465)",
    )
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_ca_file: str | None = Field(
        default=None, description="CA certificates to trust beyond the system's (PEM)"
    )
    smtp_timeout_s: float = Field(default=30, gt=0)
    smtp_connections: int = Field(
        default=16,
        ge=1,
        le=256,
        description="Connections kept open to the SMTP server (a server limits them per "
        "client: Postfix takes 50 by default)",
    )
    mail_from: str = "Onboarding <no-reply@onboarding.local>"
    sign_in_url: str = Field(
        default="http://127.0.0.1:8004/",
        description="The education platform's sign-in page, linked from the welcome email",
    )
    invitation_link_key: str = Field(description="AES-256-GCM key that opens sealed accept links")
    # SMS: a provider with Twilio's Messages API; none set, texts fail with that reason.
    sms_provider_url: str | None = Field(
        default=None, description="e.g. https://api.twilio.com, or the local provider"
    )
    sms_account_sid: str = ""
    sms_auth_token: SecretStr = SecretStr("")
    sms_from: str = ""
    sms_messaging_service_sid: str | None = None
    sms_status_callback_url: str | None = Field(
        default=None,
        description="This service's /v1/sms/status as the provider reaches it; the callback's "
        "signature is checked against this exact URL",
    )
    # The sender.
    send_concurrency: int = Field(
        default=64,
        ge=1,
        le=512,
        description="Messages in flight per channel: the most a crash of the sender can send twice",
    )
    send_lease_s: float = Field(
        default=60, gt=0, description="Longer than one try can take (the SMTP timeout)"
    )
    send_poll_interval_s: float = Field(default=0.5, gt=0)
    messages_per_second: float = Field(
        default=500, gt=0, description="A tenant's send rate unless it set its own"
    )
    retry_base_s: float = Field(default=1.0, gt=0)
    retry_cap_s: float = Field(default=300.0, gt=0)
    give_up_after_s: float = Field(
        default=24 * 3600, gt=0, description="A message not sent by then fails"
    )
