"""How much anyone may ask of the public routes: the size of a request, how many requests
a client makes, how many registrations are tried with one link, how often a client asks
for new links (each sends someone a message).

The rates are counted in this process's memory (`onboarding_kit.ratelimit`), so each replica
counts its own. A link is counted by its SHA-256, never kept as it is."""

import ipaddress
from dataclasses import dataclass

from onboarding_kit.ratelimit import RateLimiter

from registration.domain.links import link_hash
from registration.errors import TooManyRequests
from registration.settings import RegistrationSettings

# A sign-up form is well under 2 KiB (a 200-character token and its CSRF token, three names
# of 100, a phone number of 32, a username of 32, a password of 256); this leaves room for
# JSON escapes and a browser's percent-encoding, and none for abuse.
MAX_BODY_BYTES = 16 * 1024
MINUTE_S = 60.0


@dataclass(frozen=True)
class PublicLimits:
    page_views: RateLimiter  # per client, of GET /join
    submissions: RateLimiter  # per client, of POST /join and POST /v1/registrations
    link_attempts: RateLimiter  # per link, of the same two
    new_link_requests: RateLimiter  # per client, of POST /join/new-link
    username_checks: RateLimiter  # per client, of GET /v1/usernames/{name}/availability
    username_link_checks: RateLimiter  # per link, of the same

    @classmethod
    def from_settings(cls, settings: RegistrationSettings) -> "PublicLimits":
        def per_minute(limit: int) -> RateLimiter:
            return RateLimiter(limit, MINUTE_S, max_keys=settings.rate_limit_max_keys)

        return cls(
            page_views=per_minute(settings.page_views_per_minute_per_ip),
            submissions=per_minute(settings.submissions_per_minute_per_ip),
            link_attempts=per_minute(settings.submissions_per_minute_per_link),
            new_link_requests=per_minute(settings.new_links_per_minute_per_ip),
            username_checks=per_minute(settings.username_checks_per_minute_per_ip),
            username_link_checks=per_minute(settings.username_checks_per_minute_per_link),
        )

    def view_page(self, client: str) -> None:
        """Count a page view of `client`; `TooManyRequests` when over its rate."""
        _count(self.page_views, client)

    def submit(self, client: str) -> None:
        """Count a submission of `client` (before it is read)."""
        _count(self.submissions, client)

    def ask_new_link(self, client: str) -> None:
        """Count a request for a new link of `client` (before it is forwarded)."""
        _count(self.new_link_requests, client)

    def check_username(self, client: str, token: str) -> None:
        """Count a username check of `client` with this link (before it is judged)."""
        _count(self.username_checks, client)
        _count(self.username_link_checks, link_hash(token.strip()))

    def try_link(self, token: str) -> None:
        """Count a registration tried with this link (before it is judged)."""
        _count(self.link_attempts, link_hash(token.strip()))


def client_key(host: str | None) -> str:
    """Who a request comes from, for counting: its IP address, or for IPv6 the /64 it is in
    (one subscriber usually holds a whole /64, and could otherwise change address at will)."""
    try:
        address = ipaddress.ip_address(host or "")
    except ValueError:
        return host or "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def _count(limiter: RateLimiter, key: str | bytes) -> None:
    retry_after_s = limiter.hit(key)
    if retry_after_s is not None:
        raise TooManyRequests(retry_after_s)
