"""Sealing a secret for the services that hold one shared key ring.

AES-256-GCM with a random 96-bit nonce; the associated data binds the sealed value to its
context (the caller says what: for an accept link, the tenant, the invitation, the send
count and the recipient), so a sealed value cannot be moved to another context.

Keys rotate: a key ring is `kid:key[,kid:key...]` (or a lone key, whose id is `k1`); the
first key seals, every key opens. Format: `v2.<kid>.` + base64url(nonce || ciphertext+tag),
so the key that sealed a value is named in it. To rotate, put the new key first and keep
the old one after it until every value sealed with it has been opened (an invitation's
lifetime), then drop it.
"""

import base64
import os
import re

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_VERSION = "v2"
_KEY_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")
DEFAULT_KEY_ID = "k1"


class SealError(ValueError):
    pass


def new_key() -> str:
    return base64.urlsafe_b64encode(AESGCM.generate_key(bit_length=256)).decode()


def _aead(key_b64: str) -> AESGCM:
    try:
        key = base64.urlsafe_b64decode(key_b64.encode())
    except ValueError as error:
        raise SealError("a sealing key is not base64") from error
    if len(key) != 32:
        raise SealError("a sealing key must be 32 bytes (base64url-encoded)")
    return AESGCM(key)


def parse_key_ring(ring: str) -> list[tuple[str, AESGCM]]:
    """(key id, cipher) pairs, the sealing key first."""
    entries = [entry.strip() for entry in ring.split(",") if entry.strip()]
    if not entries:
        raise SealError("the key ring is empty")
    keys: list[tuple[str, AESGCM]] = []
    for entry in entries:
        kid, _, key = entry.rpartition(":") if ":" in entry else ("", "", entry)
        kid = kid or (DEFAULT_KEY_ID if len(entries) == 1 else "")
        if not _KEY_ID.fullmatch(kid):
            raise SealError("each key of a ring needs an id: kid:key[,kid:key...]")
        if kid in {k for k, _ in keys}:
            raise SealError(f"the key id {kid!r} appears twice in the ring")
        keys.append((kid, _aead(key)))
    return keys


class Sealer:
    def __init__(self, key_ring: str) -> None:
        keys = parse_key_ring(key_ring)
        self._sealing_id, self._sealing = keys[0]
        self._opening = dict(keys)

    def seal(self, plaintext: str, *, context: str) -> str:
        nonce = os.urandom(12)
        sealed = self._sealing.encrypt(nonce, plaintext.encode(), context.encode())
        return f"{_VERSION}.{self._sealing_id}." + base64.urlsafe_b64encode(nonce + sealed).decode()

    def unseal(self, sealed: str, *, context: str) -> str:
        version, _, rest = sealed.partition(".")
        kid, _, body = rest.partition(".")
        if version != _VERSION or not body:
            raise SealError("unknown sealed format")
        aead = self._opening.get(kid)
        if aead is None:
            raise SealError(f"sealed with key {kid!r}, which this key ring does not hold")
        try:
            blob = base64.urlsafe_b64decode(body.encode())
            return aead.decrypt(blob[:12], blob[12:], context.encode()).decode()
        except (ValueError, InvalidTag) as error:
            raise SealError("sealed value is corrupt or was sealed for another context") from error
