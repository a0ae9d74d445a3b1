"""Issuing invitations: one per enrolment, each with its own fresh, sealed link, lasting
as long as the tenant's link policy says."""

from collections.abc import Sequence
from datetime import datetime

from onboarding_contracts import CredentialsRequested, EnrolmentCreated, InvitationRequested, Origin
from onboarding_contracts.events import LinkPolicy, LinkPurpose
from onboarding_kit.clock import Clock
from onboarding_kit.ids import IdFactory

from invitation.domain.links import hash_token, link_expiry
from invitation.domain.statuses import InvitationStatus
from invitation.store import InvitationTransaction
from invitation.store.invitations import Invitation, NewInvitation
from invitation.use_cases import SOURCE
from invitation.use_cases.sending import Links

InvitationCause = EnrolmentCreated | InvitationRequested


def first_invitation(
    cause: InvitationCause | CredentialsRequested,
    *,
    id: str,
    at: datetime,
    policy: LinkPolicy,
    purpose: LinkPurpose,
) -> Invitation:
    """The invitation of the enrolment `cause` names, with its first link sent `at`."""
    person = cause.data
    return Invitation(
        id=id,
        tenant_id=cause.tenant_id,
        enrolment_id=person.enrolment_id,
        email=str(person.email),
        name=person.name,
        course=person.course,
        channel=person.channel,
        phone=person.phone,
        status=InvitationStatus.PENDING,
        send_count=1,
        resend_count=0,
        reminder_count=0,
        last_sent_at=at,
        last_reminded_at=None,
        expires_at=link_expiry(at, policy),
        ttl_hours=policy.ttl_hours,
        max_resends=policy.max_resends,
        self_service_resend=policy.self_service_resend,
        correlation_id=cause.correlation_id,
        course_title=person.course_title,
        activation=policy.activation,
        username_source=policy.username_source,
        purpose=purpose,
        locale=person.locale,
    )


def wants_invitation(cause: InvitationCause) -> bool:
    """An enrolment whose tenant invites by hand waits for its InvitationRequested."""
    return not isinstance(cause, EnrolmentCreated) or cause.data.invite


async def issue_invitations(
    tx: InvitationTransaction,
    causes: Sequence[InvitationCause],
    *,
    links: Links,
    clock: Clock,
    new_id: IdFactory,
) -> None:
    """Invite each enrolment these events ask for, with a fresh link each. An enrolment that
    already has an invitation gets nothing more: the request was a repeat."""
    issued_at = clock()
    issuing = []
    for cause in filter(wants_invitation, causes):
        # An event from before tenants had link policies brings none: the defaults.
        policy = cause.data.link_policy or LinkPolicy()
        invitation = first_invitation(
            cause, id=new_id(), at=issued_at, policy=policy, purpose="sign_up"
        )
        token = links.new_token()
        issuing.append((cause, NewInvitation(invitation, hash_token(token)), token))
    created = await tx.invitations.create_many([new for _, new, _ in issuing], issued_at)
    await tx.publish(
        [
            links.issued(
                Origin.reacting_to(cause, SOURCE), new.invitation, token, "invitation", cause.time
            )
            for cause, new, token in issuing
            if new.invitation.id in created
        ]
    )
