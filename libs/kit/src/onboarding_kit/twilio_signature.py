"""Twilio's request signature, the `X-Twilio-Signature` header of every webhook Twilio sends.

The signed text is the full URL the request was sent to (query string included), followed
by each POST parameter's name and value with no separators, in the order of the names; the
signature is the base64 of its HMAC-SHA1 keyed with the account's auth token.

An SMS provider signs its status callbacks with it and the notification service checks
them before it believes a delivery status, so both sides use this one definition.
"""

import base64
import hashlib
import hmac
from collections.abc import Mapping

SIGNATURE_HEADER = "X-Twilio-Signature"


def twilio_signature(auth_token: str, url: str, params: Mapping[str, str]) -> str:
    signed = url + "".join(name + params[name] for name in sorted(params))
    digest = hmac.new(auth_token.encode(), signed.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def signature_matches(auth_token: str, url: str, params: Mapping[str, str], signature: str) -> bool:
    """Whether `signature` was made with `auth_token` over exactly this URL and these
    params (compared in constant time, so a forger learns nothing from how long it took)."""
    expected = twilio_signature(auth_token, url, params)
    return hmac.compare_digest(expected.encode(), signature.encode())
