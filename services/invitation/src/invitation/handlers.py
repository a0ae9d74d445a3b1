"""Use cases of the invitation service."""

import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from onboarding_contracts import (
    EnrolmentCreated,
    InvitationAccepted,
    InvitationIssued,
    RegistrationCompleted,
)
from onboarding_contracts.events import InvitationAcceptedData, InvitationIssuedData
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


async def on_enrolment_created(
    store: InvitationStore,
    event: EnrolmentCreated,
    policy: IssuePolicy,
    now: Clock,
    token: Callable[[], str] = new_token,
) -> None:
    """Invite the newly enrolled person, unless their tenant invites by hand."""
    if not event.data.invite:
        return
    issued_at = now()
    raw_token = token()
    invitation = Invitation(
        id=new_id(),
        tenant_id=event.tenant_id,
        enrolment_id=event.data.enrolment_id,
        email=str(event.data.email),
        name=event.data.name,
        course=event.data.course,
        channel=event.data.channel,
        status=InvitationStatus.PENDING,
        send_count=1,
        expires_at=issued_at + policy.ttl,
        correlation_id=event.correlation_id,
    )
    if not await store.create(invitation, phone=event.data.phone, token_hash=hash_token(raw_token)):
        return  # this enrolment is already invited
    link = accept_link(policy.registration_url, raw_token)
    await store.publish(
        [
            InvitationIssued.caused_by(
                event,
                source=SOURCE,
                subject=invitation.id,
                data=InvitationIssuedData(
                    invitation_id=invitation.id,
                    enrolment_id=invitation.enrolment_id,
                    email=invitation.email,
                    name=invitation.name,
                    course=invitation.course,
                    channel=event.data.channel,
                    phone=event.data.phone,
                    expires_at=invitation.expires_at,
                    send_count=invitation.send_count,
                    sealed_link=policy.sealer.seal(link, context=invitation.id),
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


async def redeem_invitation(store: InvitationStore, token: str, now: Clock) -> Invitation:
    """Use a link, once. Raises LinkRefused with the reason when it cannot be used."""
    at = now()
    invitation = await store.redeem(hash_token(token), at)
    if invitation is None:
        await inspect_invitation(store, token, lambda: at)  # raises with the reason
        raise LinkRefused(LinkRefusal.USED)  # lost a race to a concurrent redeem
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
