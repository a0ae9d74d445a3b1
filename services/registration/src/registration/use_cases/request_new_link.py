"""A person's request for a new link, from the page of their expired or replaced one. The
invitation service decides (the tenant's policy, the resend limit, how recently a link
was sent) and sends it to the address on file; this service only forwards the link."""

from onboarding_contracts.internal.invitations import LinkRefusal, NewLinkOut

from registration.domain.links import INCOMPLETE_LINK
from registration.errors import LinkRefused
from registration.invitations import Invitations


async def request_new_link(invitations: Invitations, token: str) -> NewLinkOut:
    """What the person is told of the new link; `LinkRefused` for a link gone for good,
    `NewLinkRefused` when no new link may be sent now."""
    if not token.strip():
        raise LinkRefused(LinkRefusal.UNKNOWN, INCOMPLETE_LINK)
    return await invitations.request_new_link(token)
