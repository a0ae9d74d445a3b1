"""Sealing a secret for the services that hold one shared key.

AES-256-GCM with a random 96-bit nonce; the associated data binds the sealed value to its
context (e.g. the invitation id), so a sealed link cannot be moved to another invitation.
Format: `v1.` + base64url(nonce || ciphertext+tag).
"""

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_PREFIX = "v1."


class SealError(ValueError):
    pass


def new_key() -> str:
    return base64.urlsafe_b64encode(AESGCM.generate_key(bit_length=256)).decode()


class Sealer:
    def __init__(self, key_b64: str) -> None:
        try:
            key = base64.urlsafe_b64decode(key_b64.encode())
        except ValueError as error:
            raise SealError("the sealing key is not base64") from error
        if len(key) != 32:
            raise SealError("the sealing key must be 32 bytes (base64url-encoded)")
        self._aead = AESGCM(key)

    def seal(self, plaintext: str, *, context: str) -> str:
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), context.encode())
        return _PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode()

    def unseal(self, sealed: str, *, context: str) -> str:
        if not sealed.startswith(_PREFIX):
            raise SealError("unknown sealed format")
        try:
            blob = base64.urlsafe_b64decode(sealed.removeprefix(_PREFIX).encode())
            return self._aead.decrypt(blob[:12], blob[12:], context.encode()).decode()
        except (ValueError, InvalidTag) as error:
            raise SealError("sealed value is corrupt or was sealed for another context") from error
