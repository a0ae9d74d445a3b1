"""The invitation service, the single judge of a link: the port use cases depend on, and
its HTTP adapter speaking the internal contract (`onboarding_contracts.internal`)."""

from typing import Protocol, TypeVar

import httpx
from onboarding_contracts.internal.invitations import (
    INSPECT_PATH,
    PREFIX,
    REDEEM_PATH,
    TOKEN_HEADER,
    LinkDetails,
    LinkRefusal,
    RedeemIn,
    RefusalOut,
    TokenIn,
)
from pydantic import ValidationError

from registration.domain.links import MALFORMED_LINK
from registration.errors import InvitationServiceUnavailable, LinkRefused

Body = TypeVar("Body", bound=TokenIn)


class Invitations(Protocol):
    """Raise `LinkRefused` for a link that cannot be used and
    `InvitationServiceUnavailable` when there is no answer."""

    async def inspect(self, token: str) -> LinkDetails:
        """Whether the link may be used now, and whose it is. Changes nothing."""

    async def redeem(self, token: str, account_id: str) -> LinkDetails:
        """Use the link for this account; asking again for the same account is safe."""


class InvitationClient:
    """`Invitations` over HTTP."""

    def __init__(
        self,
        base_url: str,
        internal_token: str,
        *,
        timeout_s: float = 5,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._http = httpx.AsyncClient(
            base_url=f"{base_url.rstrip('/')}{PREFIX}",
            headers={TOKEN_HEADER: internal_token},
            timeout=timeout_s,
            transport=transport,
        )

    async def inspect(self, token: str) -> LinkDetails:
        return await self._post(INSPECT_PATH, _body(TokenIn, token=token))

    async def redeem(self, token: str, account_id: str) -> LinkDetails:
        return await self._post(REDEEM_PATH, _body(RedeemIn, token=token, account_id=account_id))

    async def _post(self, path: str, body: TokenIn) -> LinkDetails:
        try:
            response = await self._http.post(path, json=body.model_dump(mode="json"))
        except httpx.TransportError as error:
            raise InvitationServiceUnavailable(str(error)) from error
        if response.status_code in (404, 410):
            # A problem+json document; of its members, the contract's are `reason` and
            # `message` (what the person can do about it).
            refusal = RefusalOut.model_validate(response.json())
            raise LinkRefused(refusal.reason, refusal.message)
        if response.status_code >= 500:
            raise InvitationServiceUnavailable(
                f"invitation service answered {response.status_code}"
            )
        response.raise_for_status()
        return LinkDetails.model_validate(response.json())

    async def close(self) -> None:
        await self._http.aclose()


def _body(model: type[Body], **fields: str) -> Body:
    """The request body. A token the contract refuses (empty, or over MAX_TOKEN_LENGTH) is
    a link nobody issued: refused here, without asking."""
    try:
        return model(**fields)
    except ValidationError:
        raise LinkRefused(LinkRefusal.UNKNOWN, MALFORMED_LINK) from None
