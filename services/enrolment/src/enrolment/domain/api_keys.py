"""Tenant API keys: only a key's SHA-256 is stored, and a caller is known by it."""

import hashlib
import secrets

KEY_PREFIX = "onb_"


def new_api_key() -> str:
    return f"{KEY_PREFIX}{secrets.token_urlsafe(32)}"


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()
