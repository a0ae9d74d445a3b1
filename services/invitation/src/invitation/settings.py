"""The invitation service's settings, read from the environment.

How long a link lasts, and how often it may be resent, are not settings of the service:
each tenant's link policy decides, brought by every request for a link."""

from onboarding_kit.settings import ServiceSettings
from pydantic import Field


class InvitationSettings(ServiceSettings):
    service_name: str = "invitation"
    http_port: int = 8002
    registration_public_url: str = Field(
        default="http://127.0.0.1:8004", description="Base of the accept links sent to people"
    )
    invitation_link_key: str = Field(description="AES-256-GCM key sealing accept links")
    internal_api_token: str = Field(min_length=16)
    expiry_sweep_interval_s: float = Field(
        default=30,
        gt=0,
        description="How often overdue invitations are marked expired (a link is refused at "
        "use time regardless; this is how late its enrolment may show it)",
    )
