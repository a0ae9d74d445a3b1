"""The invitation service, the single judge of a link: the port use cases depend on, and
its HTTP adapter speaking the internal contract (`onboarding_contracts.internal`)."""

from typing import Protocol, TypeVar

import httpx
from onboarding_contracts.internal.invitations import (
    INSPECT_PATH,
    NEW_LINK_PATH,
    PREFIX,
    REDEEM_PATH,
    LinkDetails,
    LinkRefusal,
    NewLinkOut,
    RedeemIn,
    RefusalOut,
    ResendRefusedOut,
    TokenIn,
)
from onboarding_kit.internal_http import InternalApiClient
from pydantic import BaseModel, ValidationError

from registration.domain.links import MALFORMED_LINK
from registration.errors import InvitationServiceUnavailable, LinkRefused, NewLinkRefused

Body = TypeVar("Body", bound=TokenIn)
Answer = TypeVar("Answer", bound=BaseModel)


class Invitations(Protocol):
    """Raise `LinkRefused` for a link that cannot be used and
    `InvitationServiceUnavailable` when there is no answer."""

    async def inspect(self, token: str) -> LinkDetails:
        """Whether the link may be used now, and whose it is. Changes nothing."""

    async def redeem(self, token: str, account_id: str) -> LinkDetails:
        """Use the link for this account; asking again for the same account is safe."""

    async def request_new_link(self, token: str) -> NewLinkOut:
        """Have a new link sent to the address on file of the person holding this expired
        or replaced link; `NewLinkRefused` when none may be sent now."""


class InvitationClient(InternalApiClient):
    """`Invitations` over HTTP."""

    prefix = PREFIX

    async def inspect(self, token: str) -> LinkDetails:
        return await self._post(INSPECT_PATH, _body(TokenIn, token=token), LinkDetails)

    async def redeem(self, token: str, account_id: str) -> LinkDetails:
        body = _body(RedeemIn, token=token, account_id=account_id)
        return await self._post(REDEEM_PATH, body, LinkDetails)

    async def request_new_link(self, token: str) -> NewLinkOut:
        return await self._post(NEW_LINK_PATH, _body(TokenIn, token=token), NewLinkOut)

    async def _post(self, path: str, body: TokenIn, answer: type[Answer]) -> Answer:
        try:
            response = await self.http.post(path, json=body.model_dump(mode="json"))
        except httpx.TransportError as error:
            raise InvitationServiceUnavailable(str(error)) from error
        # Refusals are problem+json documents; of their members, the contract's are
        # `reason` and `message` (what the person can do about it).
        if response.status_code in (404, 410):
            refusal = RefusalOut.model_validate(response.json())
            raise LinkRefused(
                refusal.reason, refusal.message, new_link_allowed=refusal.new_link_allowed
            )
        if response.status_code == 409 and path == NEW_LINK_PATH:
            refused = ResendRefusedOut.model_validate(response.json())
            raise NewLinkRefused(refused.reason, refused.message)
        if response.status_code >= 500:
            raise InvitationServiceUnavailable(
                f"invitation service answered {response.status_code}"
            )
        response.raise_for_status()
        return answer.model_validate(response.json())


def _body(model: type[Body], **fields: str) -> Body:
    """The request body. A token the contract refuses (empty, or over MAX_TOKEN_LENGTH) is
    a link nobody issued: refused here, without asking."""
    try:
        return model(**fields)
    except ValidationError:
        raise LinkRefused(LinkRefusal.UNKNOWN, MALFORMED_LINK) from None
