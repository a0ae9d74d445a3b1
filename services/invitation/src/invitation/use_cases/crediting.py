"""Credentials (seed 003 option 2, seed 004 "Send Initial Invitation"): an admin makes the
account of a person who skips the sign-up form. The person's sign-in name is their email
address, fixed before the message goes out so that the message can say it; their link
only sets a password, under the same rules as every link (single use, expiring, the
earlier links dead)."""

from collections.abc import Sequence

from onboarding_contracts import CredentialsRequested, InvitationIssued, Origin
from onboarding_contracts.events import LinkPolicy
from onboarding_kit.clock import Clock
from onboarding_kit.ids import IdFactory

from invitation.domain.links import hash_token
from invitation.store import InvitationTransaction
from invitation.store.invitations import NewInvitation
from invitation.use_cases import SOURCE
from invitation.use_cases.issuing import first_invitation
from invitation.use_cases.sending import Links


def credentials_policy(request: CredentialsRequested) -> LinkPolicy:
    """The tenant's link rules, with the username fixed to the email address."""
    policy = request.data.link_policy or LinkPolicy()
    return policy.model_copy(update={"username_source": "email"})


async def send_credentials(
    tx: InvitationTransaction,
    requests: Sequence[CredentialsRequested],
    *,
    links: Links,
    clock: Clock,
    new_id: IdFactory,
) -> None:
    """A set-password link for each enrolment asked for: a new invitation for someone never
    invited, otherwise one that replaces their current link. Someone whose invitation was
    accepted or revoked gets nothing: they registered, or were withdrawn, since."""
    at = clock()
    first = [
        (
            request,
            NewInvitation(
                first_invitation(
                    request,
                    id=new_id(),
                    at=at,
                    policy=credentials_policy(request),
                    purpose="set_password",
                ),
                hash_token(token := links.new_token()),
            ),
            token,
        )
        for request in requests
    ]
    created = await tx.invitations.create_many([new for _, new, _ in first], at)
    issued: list[InvitationIssued] = []
    for request, new, token in first:
        origin = Origin.reacting_to(request, SOURCE)
        if new.invitation.id in created:
            issued.append(links.issued(origin, new.invitation, token, "credentials", request.time))
            continue
        token, link = links.new_link(
            request.tenant_id, request.data.enrolment_id, credentials_policy(request), at
        )
        replaced = await tx.lifecycle.give_credentials(link)
        if replaced is not None:
            issued.append(links.issued(origin, replaced, token, "credentials", request.time))
    await tx.publish(issued)
