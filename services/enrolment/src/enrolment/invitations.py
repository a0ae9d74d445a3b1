"""The invitation service, the one judge of a resend: the port use cases depend on, and
its HTTP adapter speaking the internal contract (`onboarding_contracts.internal`)."""

import logging
from typing import Protocol

import httpx
from onboarding_contracts.internal.invitations import (
    PREFIX,
    RESEND_PATH,
    InvitationState,
    ResendIn,
    ResendRefusedOut,
)
from onboarding_kit.internal_http import InternalApiClient
from pydantic import ValidationError

from enrolment.errors import InvitationServiceUnavailable, SendRefused

log = logging.getLogger(__name__)


class Invitations(Protocol):
    """Raise `SendRefused` for a resend the invitation service refuses, with its reason,
    and `InvitationServiceUnavailable` when there is no answer to go by."""

    async def resend(self, request: ResendIn) -> InvitationState:
        """A new link for the enrolment's invitation; every earlier link is dead once this
        returns."""


class InvitationClient(InternalApiClient):
    """`Invitations` over HTTP."""

    prefix = PREFIX

    async def resend(self, request: ResendIn) -> InvitationState:
        try:
            response = await self.http.post(RESEND_PATH, json=request.model_dump(mode="json"))
        except httpx.TransportError as error:
            raise _unavailable(f"no answer: {type(error).__name__}: {error}") from error
        try:
            if response.status_code == 409:
                # A problem+json document; of its members, the contract's are `reason` and
                # `message` (said so the admin can act on it).
                refusal = ResendRefusedOut.model_validate(response.json())
                raise SendRefused(refusal.reason, refusal.message)
            if response.status_code == 200:
                return InvitationState.model_validate(response.json())
        except (ValueError, ValidationError) as error:  # not the contract's answer
            raise _unavailable(f"unreadable answer {response.status_code}: {error}") from error
        # Anything else (the wrong token, a route missing, a 5xx) is not the resend's fault:
        # nothing was sent, and an operator has something to fix.
        raise _unavailable(f"answered {response.status_code}: {response.text[:200]}")

    async def close(self) -> None:
        await self.http.aclose()


class NoInvitationService:
    """`Invitations` of a service started without the internal API token: every resend
    answers 503, and says why in the log."""

    async def resend(self, request: ResendIn) -> InvitationState:
        raise _unavailable("INTERNAL_API_TOKEN is not set, so the service cannot be asked")


def _unavailable(cause: str) -> InvitationServiceUnavailable:
    log.error("the invitation service cannot resend", extra={"cause": cause})
    return InvitationServiceUnavailable(cause)
