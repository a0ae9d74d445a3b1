"""Whose an invitation link is, for the join page. Changes nothing."""

from onboarding_contracts.internal.invitations import LinkDetails, LinkRefusal

from registration.domain.links import INCOMPLETE_LINK
from registration.errors import LinkRefused
from registration.invitations import Invitations


async def inspect_link(invitations: Invitations, token: str) -> LinkDetails:
    """The link's details, or `LinkRefused` with what the person can do about it."""
    if not token.strip():
        raise LinkRefused(LinkRefusal.UNKNOWN, INCOMPLETE_LINK)
    return await invitations.inspect(token)
