"""CSRF tokens of the join pages' forms (POST /join, POST /join/new-link).

A form's token is an HMAC of the invitation link's token it carries, for that form: only
a page this service rendered for that very link holds it, no cookie or session is needed,
and any replica checks what any other issued. The key is the `CSRF_SECRET` setting, or,
when none is given, derived from `INTERNAL_API_TOKEN` (which every replica already shares)
by an HMAC under a label of its own, so that the derived key says nothing of the token.

A browser's Fetch Metadata is checked too: a form posted from another site
(`Sec-Fetch-Site: cross-site` or `same-site`) is refused even with a token, since a page
elsewhere that got hold of an invitation link has no business posting it."""

import base64
import hashlib
import hmac
from dataclasses import dataclass
from typing import Literal

from registration.settings import RegistrationSettings

FormName = Literal["join", "new-link"]
DERIVATION_LABEL = b"onboarding/registration/csrf/v1"
# What a browser says of a request a person made on this service's own page, or by typing
# the address; a browser too old to say anything sends no header at all.
SAME_ORIGIN = frozenset({"same-origin", "none"})


@dataclass(frozen=True)
class CsrfTokens:
    key: bytes

    @classmethod
    def from_settings(cls, settings: RegistrationSettings) -> "CsrfTokens":
        if settings.csrf_secret is not None:
            return cls(settings.csrf_secret.get_secret_value().encode())
        internal = settings.internal_api_token.encode()
        return cls(hmac.digest(internal, DERIVATION_LABEL, hashlib.sha256))

    def issue(self, form: FormName, link_token: str) -> str:
        """The token of `form` for the link `link_token` (as the form carries it)."""
        message = f"{form}\x00{link_token.strip()}".encode()
        digest = hmac.digest(self.key, message, hashlib.sha256)
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def accepts(
        self, form: FormName, link_token: str, given: str, *, fetch_site: str | None
    ) -> bool:
        """Whether a post of `form` came from this service's page for that link."""
        if fetch_site is not None and fetch_site.lower() not in SAME_ORIGIN:
            return False
        expected = self.issue(form, link_token).encode()
        # As bytes: `compare_digest` refuses a str with anything but ASCII in it.
        return bool(given) and hmac.compare_digest(given.encode(), expected)
