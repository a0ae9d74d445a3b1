"""Whether a username may be chosen, for the join page's live check as a person types:
available, taken or invalid (with why), and nothing more (not who holds it)."""

from dataclasses import dataclass

from onboarding_kit.uow import UnitOfWork

from registration.domain.usernames import Availability, normalise_username, username_refusal
from registration.invitations import Invitations
from registration.store import RegistrationTransaction
from registration.use_cases.inspect_link import inspect_link


@dataclass(frozen=True)
class UsernameCheck:
    username: str  # as it would be stored, when it is valid; as given otherwise
    status: Availability
    reason: str | None = None  # why it is invalid


async def check_username(
    name: str,
    token: str,
    *,
    uow: UnitOfWork[RegistrationTransaction],
    invitations: Invitations,
) -> UsernameCheck:
    """A name that breaks the rules is invalid whatever the link (the rules are public);
    any other is looked up in the tenant of the link, once the link is judged usable
    (`LinkRefused` otherwise). Reservations count: a name being registered is taken."""
    if (reason := username_refusal(name)) is not None:
        return UsernameCheck(name, "invalid", reason)
    link = await inspect_link(invitations, token)
    username = normalise_username(name)
    async with uow() as tx:
        taken = await tx.accounts.is_taken(
            link.tenant_id, username, invitation_id=link.invitation_id
        )
    return UsernameCheck(username, "taken" if taken else "available")
