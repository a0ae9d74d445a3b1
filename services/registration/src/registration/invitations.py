"""Client of the invitation service's internal endpoints: the single judge of a link."""

from dataclasses import dataclass
from typing import Any

import httpx


@dataclass(frozen=True)
class LinkDetails:
    invitation_id: str
    tenant_id: str
    enrolment_id: str
    email: str
    name: str
    course: str
    correlation_id: str


class LinkRefused(Exception):
    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


MAX_TOKEN_LENGTH = 200
MALFORMED_LINK = (
    "This invitation link is not valid. Open the link from your invitation email again, "
    "or copy the whole address into your browser."
)


class InvitationServiceUnavailable(Exception):
    """The invitation service cannot answer now; the person should try again shortly."""


class InvitationClient:
    def __init__(
        self,
        base_url: str,
        internal_token: str,
        *,
        timeout_s: float = 5,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._http = httpx.AsyncClient(
            base_url=f"{base_url.rstrip('/')}/internal/v1/invitations",
            headers={"X-Internal-Token": internal_token},
            timeout=timeout_s,
            transport=transport,
        )

    async def inspect(self, token: str) -> LinkDetails:
        return await self._call("/inspect", token)

    async def redeem(self, token: str, account_id: str) -> LinkDetails:
        """Use the link for this account; asking again for the same account is safe."""
        return await self._call("/redeem", token, account_id=account_id)

    async def _call(self, path: str, token: str, **extra: str) -> LinkDetails:
        if not token.strip() or len(token) > MAX_TOKEN_LENGTH:
            raise LinkRefused("unknown", MALFORMED_LINK)
        try:
            response = await self._http.post(path, json={"token": token, **extra})
        except httpx.TransportError as error:
            raise InvitationServiceUnavailable(str(error)) from error
        if response.status_code in (404, 410):
            body: dict[str, Any] = response.json()
            raise LinkRefused(body["reason"], body["message"])
        if response.status_code >= 500:
            raise InvitationServiceUnavailable(
                f"invitation service answered {response.status_code}"
            )
        response.raise_for_status()
        data = response.json()
        return LinkDetails(**{k: data[k] for k in LinkDetails.__dataclass_fields__})

    async def close(self) -> None:
        await self._http.aclose()
