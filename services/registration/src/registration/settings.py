"""The registration service's settings, read from the environment."""

from onboarding_kit.settings import ServiceSettings
from pydantic import Field


class RegistrationSettings(ServiceSettings):
    service_name: str = "registration"
    http_port: int = 8004
    invitation_url: str = Field(default="http://127.0.0.1:8002", description="Invitation service")
    internal_api_token: str = Field(min_length=16)
    reservation_ttl_minutes: float = Field(
        default=60,
        gt=0,
        description="How long a username stays reserved by a registration that did not "
        "finish (its redeem failed without a refusal) before it is released",
    )
    # The public routes' rate limits, per minute and per process (each replica counts its
    # own). A client is an IP address (an IPv6 /64); a link is known by its hash only.
    page_views_per_minute_per_ip: int = Field(default=60, ge=1, description="GET /join")
    submissions_per_minute_per_ip: int = Field(
        default=30, ge=1, description="POST /join and POST /v1/registrations, together"
    )
    new_links_per_minute_per_ip: int = Field(
        default=10, ge=1, description="POST /join/new-link (each sends a message to someone)"
    )
    submissions_per_minute_per_link: int = Field(
        default=10, ge=1, description="Registrations tried with one invitation link"
    )
    rate_limit_max_keys: int = Field(
        default=100_000, ge=1, description="Clients (or links) each limit remembers at most"
    )
