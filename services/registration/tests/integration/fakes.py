"""An invitation service in memory that judges single use as the real one does."""

import asyncio
from dataclasses import dataclass, field

from onboarding_contracts.internal.invitations import LinkDetails, LinkRefusal, NewLinkOut
from registration.errors import LinkRefused

from ..links import LINK


@dataclass
class SingleUseInvitations:
    """One link, redeemed once (a compare-and-set, as the invitation service's); a repeat
    for the account it was redeemed for gets the same answer. Each answer takes a moment,
    so that concurrent registrations interleave."""

    link: LinkDetails = field(default_factory=lambda: LINK)
    redeemed_for: str | None = None
    redeems: list[str] = field(default_factory=list)

    async def inspect(self, token: str) -> LinkDetails:
        await asyncio.sleep(0.01)
        if self.redeemed_for is not None:
            raise LinkRefused(LinkRefusal.USED, "already used")
        return self.link

    async def redeem(self, token: str, account_id: str) -> LinkDetails:
        await asyncio.sleep(0.01)
        self.redeems.append(account_id)
        if self.redeemed_for not in (None, account_id):
            raise LinkRefused(LinkRefusal.USED, "already used")
        self.redeemed_for = account_id
        return self.link

    async def request_new_link(self, token: str) -> NewLinkOut:
        raise NotImplementedError("these tests never ask for a new link")
