"""The registration service's settings, read from the environment."""

from onboarding_kit.settings import ServiceSettings
from pydantic import Field, SecretStr


class RegistrationSettings(ServiceSettings):
    service_name: str = "registration"
    http_port: int = 8004
    invitation_url: str = Field(default="http://127.0.0.1:8002", description="Invitation service")
    internal_api_token: str = Field(min_length=16)
    csrf_secret: SecretStr | None = Field(
        default=None,
        min_length=32,
        description="Key of the join forms' CSRF tokens, the same on every replica; "
        "without it, one is derived from INTERNAL_API_TOKEN (see `registration.csrf`)",
    )
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
    # The join page checks a username as it is typed (a pause in typing, one check).
    username_checks_per_minute_per_ip: int = Field(
        default=120, ge=1, description="GET /v1/usernames/{name}/availability, per client"
    )
    username_checks_per_minute_per_link: int = Field(
        default=60, ge=1, description="GET /v1/usernames/{name}/availability, per link"
    )
    rate_limit_max_keys: int = Field(
        default=100_000, ge=1, description="Clients (or links) each limit remembers at most"
    )
