"""Use cases of the invitation service."""

import secrets
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from onboarding_contracts import (
    EnrolmentCancelled,
    EnrolmentCreated,
    Envelope,
    InvitationAccepted,
    InvitationIssued,
    InvitationRequested,
    InvitationRevoked,
    RegistrationCompleted,
)
from onboarding_contracts.events import (
    Channel,
    EnrolmentCreatedData,
    InvitationAcceptedData,
    InvitationIssuedData,
    InvitationRequestedData,
    InvitationRevokedData,
)
from onboarding_kit.sealing import Sealer

from invitation.domain import (
    TOKEN_BYTES,
    InvitationStatus,
    LinkRefusal,
    accept_link,
    hash_token,
    refusal,
)
from invitation.store import Invitation, InvitationStore

SOURCE = "/onboarding/invitation"

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def new_id() -> str:
    return str(uuid.uuid4())


@dataclass(frozen=True)
class IssuePolicy:
    registration_url: str
    ttl: timedelta
    sealer: Sealer


class LinkRefused(Exception):
    def __init__(self, reason: LinkRefusal) -> None:
        super().__init__(reason.message)
        self.reason = reason


@dataclass(frozen=True)
class Invitee:
    """Who to invite, from an EnrolmentCreated or an InvitationRequested."""

    enrolment_id: str
    email: str
    name: str
    course: str
    channel: Channel
    phone: str | None


async def issue_invitations(
    store: InvitationStore,
    requests: Sequence[tuple[Envelope, Invitee]],
    policy: IssuePolicy,
    now: Clock,
    token: Callable[[], str] = new_token,
) -> None:
    """One invitation per enrolment, with a fresh link each; an enrolment that already has
    an invitation gets nothing more (the request was a repeat)."""
    issued_at = now()
    pending = []
    for cause, invitee in requests:
        invitation = Invitation(
            id=new_id(),
            tenant_id=cause.tenant_id,
            enrolment_id=invitee.enrolment_id,
            email=invitee.email,
            name=invitee.name,
            course=invitee.course,
            channel=invitee.channel,
            status=InvitationStatus.PENDING,
            send_count=1,
            expires_at=issued_at + policy.ttl,
            correlation_id=cause.correlation_id,
        )
        pending.append((cause, invitee, invitation, token()))
    created = await store.create_many(
        [(invitation, invitee.phone, hash_token(raw)) for _, invitee, invitation, raw in pending]
    )
    await store.publish(
        [
            InvitationIssued.caused_by(
                cause,
                source=SOURCE,
                subject=invitation.id,
                data=InvitationIssuedData(
                    invitation_id=invitation.id,
                    enrolment_id=invitation.enrolment_id,
                    email=invitation.email,
                    name=invitation.name,
                    course=invitation.course,
                    channel=invitee.channel,
                    phone=invitee.phone,
                    expires_at=invitation.expires_at,
                    send_count=invitation.send_count,
                    sealed_link=policy.sealer.seal(
                        accept_link(policy.registration_url, raw), context=invitation.id
                    ),
                ),
            )
            for cause, invitee, invitation, raw in pending
            if invitation.id in created
        ]
    )


def _invitee(data: EnrolmentCreatedData | InvitationRequestedData) -> Invitee:
    return Invitee(
        enrolment_id=data.enrolment_id,
        email=str(data.email),
        name=data.name,
        course=data.course,
        channel=data.channel,
        phone=data.phone,
    )


async def on_enrolment_created(
    store: InvitationStore,
    events: Sequence[EnrolmentCreated],
    policy: IssuePolicy,
    now: Clock,
    token: Callable[[], str] = new_token,
) -> None:
    """Invite the newly enrolled, except those whose tenant invites by hand."""
    requests = [(e, _invitee(e.data)) for e in events if e.data.invite]
    await issue_invitations(store, requests, policy, now, token)


async def on_invitation_requested(
    store: InvitationStore,
    events: Sequence[InvitationRequested],
    policy: IssuePolicy,
    now: Clock,
    token: Callable[[], str] = new_token,
) -> None:
    await issue_invitations(store, [(e, _invitee(e.data)) for e in events], policy, now, token)


async def on_enrolment_cancelled(
    store: InvitationStore, event: EnrolmentCancelled, now: Clock
) -> None:
    """Withdraw the pending invitation of a cancelled enrolment: its link stops working."""
    at = now()
    invitation = await store.revoke(event.data.enrolment_id, at)
    if invitation is None:
        return  # never invited, or already accepted or expired
    await store.publish(
        [
            InvitationRevoked.caused_by(
                event,
                source=SOURCE,
                subject=invitation.id,
                data=InvitationRevokedData(
                    invitation_id=invitation.id,
                    enrolment_id=invitation.enrolment_id,
                    revoked_at=at,
                ),
            )
        ]
    )


async def inspect_invitation(store: InvitationStore, token: str, now: Clock) -> Invitation:
    """The invitation a link belongs to, if the link may be used now."""
    invitation = await store.by_token_hash(hash_token(token))
    if invitation is None:
        raise LinkRefused(LinkRefusal.UNKNOWN)
    reason = refusal(invitation.status, invitation.expires_at, now())
    if reason is not None:
        raise LinkRefused(reason)
    return invitation


async def redeem_invitation(
    store: InvitationStore, token: str, now: Clock, account_id: str | None = None
) -> Invitation:
    """Use a link, once. Raises LinkRefused with the reason when it cannot be used. The
    account it is redeemed for may ask again and gets the same answer."""
    at = now()
    redeemed = await store.redeem(hash_token(token), at, account_id)
    if redeemed is None:
        await inspect_invitation(store, token, lambda: at)  # raises with the reason
        raise LinkRefused(LinkRefusal.USED)  # lost a race to a concurrent redeem
    invitation, first_time = redeemed
    if first_time:
        await store.publish(
            [
                InvitationAccepted(
                    source=SOURCE,
                    subject=invitation.id,
                    tenant_id=invitation.tenant_id,
                    correlation_id=invitation.correlation_id,
                    data=InvitationAcceptedData(
                        invitation_id=invitation.id,
                        enrolment_id=invitation.enrolment_id,
                        accepted_at=at,
                    ),
                )
            ]
        )
    return invitation


async def on_registration_completed(store: InvitationStore, event: RegistrationCompleted) -> None:
    await store.record_account(event.data.invitation_id, event.data.account_id)
