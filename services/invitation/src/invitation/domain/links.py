"""Tokens and accept links: what a person is sent, and the only trace of it that is kept."""

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

TOKEN_BYTES = 32  # 256 bits, from `secrets`
DEFAULT_TTL = timedelta(hours=24)  # seed 002: "Each link is active for 24 hours"

TokenFactory = Callable[[], str]


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> bytes:
    """What is stored of a token: the token itself never is."""
    return hashlib.sha256(token.encode()).digest()


def accept_link(registration_url: str, token: str) -> str:
    return f"{registration_url.rstrip('/')}/join?{urlencode({'token': token})}"


@dataclass(frozen=True)
class IssuePolicy:
    """Where accept links point, and how long each stays usable."""

    registration_url: str
    ttl: timedelta = DEFAULT_TTL

    def link(self, token: str) -> str:
        return accept_link(self.registration_url, token)

    def expiry(self, issued_at: datetime) -> datetime:
        return issued_at + self.ttl
