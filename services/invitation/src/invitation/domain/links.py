"""Tokens and accept links: what a person is sent, the only trace of it that is kept, and
how long it stays usable."""

import hashlib
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from urllib.parse import urlencode

from onboarding_contracts.events import LinkPolicy
from onboarding_contracts.events.enrolment import DEFAULT_LINK_TTL_HOURS

TOKEN_BYTES = 32  # 256 bits, from `secrets`
DEFAULT_TTL = timedelta(hours=DEFAULT_LINK_TTL_HOURS)  # seed 002: "active for 24 hours"

TokenFactory = Callable[[], str]


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> bytes:
    """What is stored of a token: the token itself never is."""
    return hashlib.sha256(token.encode()).digest()


def accept_link(registration_url: str, token: str) -> str:
    return f"{registration_url.rstrip('/')}/join?{urlencode({'token': token})}"


def link_expiry(sent_at: datetime, policy: LinkPolicy) -> datetime:
    """When a link sent at `sent_at` under the tenant's `policy` stops working."""
    return sent_at + timedelta(hours=policy.ttl_hours)
