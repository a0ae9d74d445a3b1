"""Issuing invitations: one per enrolment, each with its own fresh, sealed link."""

from collections.abc import Sequence

from onboarding_contracts import EnrolmentCreated, InvitationIssued, InvitationRequested, Origin
from onboarding_contracts.events import InvitationIssuedData, sealed_link_context
from onboarding_kit.clock import Clock
from onboarding_kit.ids import IdFactory
from onboarding_kit.sealing import Sealer

from invitation.domain.links import IssuePolicy, TokenFactory, hash_token
from invitation.domain.statuses import InvitationStatus
from invitation.store import InvitationTransaction
from invitation.store.invitations import Invitation, NewInvitation
from invitation.use_cases import SOURCE

InvitationCause = EnrolmentCreated | InvitationRequested


def wants_invitation(cause: InvitationCause) -> bool:
    """An enrolment whose tenant invites by hand waits for its InvitationRequested."""
    return not isinstance(cause, EnrolmentCreated) or cause.data.invite


async def issue_invitations(
    tx: InvitationTransaction,
    causes: Sequence[InvitationCause],
    *,
    policy: IssuePolicy,
    sealer: Sealer,
    clock: Clock,
    new_id: IdFactory,
    new_token: TokenFactory,
) -> None:
    """Invite each enrolment these events ask for, with a fresh link each. An enrolment that
    already has an invitation gets nothing more: the request was a repeat."""
    issued_at = clock()
    issuing = []
    for cause in filter(wants_invitation, causes):
        person = cause.data
        invitation = Invitation(
            id=new_id(),
            tenant_id=cause.tenant_id,
            enrolment_id=person.enrolment_id,
            email=str(person.email),
            name=person.name,
            course=person.course,
            channel=person.channel,
            status=InvitationStatus.PENDING,
            send_count=1,
            expires_at=policy.expiry(issued_at),
            correlation_id=cause.correlation_id,
        )
        token = new_token()
        issuing.append((cause, NewInvitation(invitation, person.phone, hash_token(token)), token))
    created = await tx.invitations.create_many([new for _, new, _ in issuing], issued_at)
    await tx.publish(
        [
            InvitationIssued.new(
                Origin.reacting_to(cause, SOURCE),
                InvitationIssuedData(
                    invitation_id=new.invitation.id,
                    enrolment_id=new.invitation.enrolment_id,
                    email=new.invitation.email,
                    name=new.invitation.name,
                    course=new.invitation.course,
                    channel=cause.data.channel,
                    phone=new.phone,
                    expires_at=new.invitation.expires_at,
                    send_count=new.invitation.send_count,
                    sealed_link=sealer.seal(
                        policy.link(token),
                        context=sealed_link_context(
                            tenant_id=new.invitation.tenant_id,
                            invitation_id=new.invitation.id,
                            send_count=new.invitation.send_count,
                            email=new.invitation.email,
                            phone=new.phone,
                        ),
                    ),
                ),
            )
            for cause, new, token in issuing
            if new.invitation.id in created
        ]
    )
