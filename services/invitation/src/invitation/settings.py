"""The invitation service's settings, read from the environment."""

from onboarding_kit.settings import ServiceSettings
from pydantic import Field

from invitation.domain.links import DEFAULT_TTL


class InvitationSettings(ServiceSettings):
    service_name: str = "invitation"
    http_port: int = 8002
    registration_public_url: str = Field(
        default="http://127.0.0.1:8004", description="Base of the accept links sent to people"
    )
    invitation_ttl_hours: float = Field(default=DEFAULT_TTL.total_seconds() / 3600, gt=0)
    invitation_link_key: str = Field(description="AES-256-GCM key sealing accept links")
    internal_api_token: str = Field(min_length=16)
