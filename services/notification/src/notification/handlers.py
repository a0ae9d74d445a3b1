"""Use cases of the notification service."""

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from onboarding_contracts import InvitationIssued, NotificationFailed, NotificationSent
from onboarding_contracts.events import NotificationFailedData, NotificationSentData
from onboarding_kit.sealing import Sealer

from notification.domain import InvitationMessage, OutgoingEmail, render_invitation_email
from notification.mailer import MessageRejected
from notification.store import NewNotification, NotificationStore

SOURCE = "/onboarding/notification"

SendEmail = Callable[[OutgoingEmail], Awaitable[None]]
Clock = Callable[[], datetime]


@dataclass(frozen=True)
class Delivery:
    send_email: SendEmail
    sealer: Sealer
    sender: str
    now: Clock


def notification_id(invitation_id: str, send_count: int) -> str:
    """Stable per link, so a republished InvitationIssued maps to the same notification."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{invitation_id}/{send_count}"))


async def on_invitations_issued(
    store: NotificationStore, events: Sequence[InvitationIssued], delivery: Delivery
) -> None:
    """Email each person their link, once per link, several messages at a time.

    Messages are sent inside the consumer's transaction: if the commit fails after the
    server accepted them, the redelivered events send them again (at least once), and the
    stable Message-ID lets the receiving side drop the copies. A mail server that cannot
    take messages now fails the whole batch, which is retried later."""
    by_id = {
        notification_id(e.data.invitation_id, e.data.send_count): e
        for e in events
        if e.data.channel == "email"  # SMS delivery is not offered yet
    }
    claimed = await store.claim(
        [
            NewNotification(
                id=nid,
                tenant_id=e.tenant_id,
                invitation_id=e.data.invitation_id,
                enrolment_id=e.data.enrolment_id,
                send_count=e.data.send_count,
                channel=e.data.channel,
                recipient=str(e.data.email),
            )
            for nid, e in by_id.items()
        ]
    )
    to_send = [(nid, e) for nid, e in by_id.items() if nid in claimed]
    outcomes = await asyncio.gather(
        *(delivery.send_email(_render(nid, e, delivery)) for nid, e in to_send),
        return_exceptions=True,
    )
    for outcome in outcomes:
        if isinstance(outcome, BaseException) and not isinstance(outcome, MessageRejected):
            raise outcome
    sent_at = delivery.now()
    sent = [
        (nid, e) for (nid, e), outcome in zip(to_send, outcomes, strict=True) if outcome is None
    ]
    await store.mark_sent([nid for nid, _ in sent], sent_at)
    rejected = [
        (nid, e, outcome)
        for (nid, e), outcome in zip(to_send, outcomes, strict=True)
        if isinstance(outcome, MessageRejected)
    ]
    for nid, _, reason in rejected:
        await store.mark_failed(nid, str(reason))
    await store.publish(
        [
            NotificationSent.caused_by(
                e,
                source=SOURCE,
                subject=nid,
                data=NotificationSentData(
                    notification_id=nid,
                    invitation_id=e.data.invitation_id,
                    enrolment_id=e.data.enrolment_id,
                    channel=e.data.channel,
                    sent_at=sent_at,
                ),
            )
            for nid, e in sent
        ]
        + [
            NotificationFailed.caused_by(
                e,
                source=SOURCE,
                subject=nid,
                data=NotificationFailedData(
                    notification_id=nid,
                    invitation_id=e.data.invitation_id,
                    enrolment_id=e.data.enrolment_id,
                    channel=e.data.channel,
                    reason=str(reason),
                    attempts=1,
                ),
            )
            for nid, e, reason in rejected
        ]
    )


def _render(nid: str, event: InvitationIssued, delivery: Delivery) -> OutgoingEmail:
    data = event.data
    return render_invitation_email(
        InvitationMessage(
            notification_id=nid,
            recipient=str(data.email),
            name=data.name,
            course=data.course,
            link=delivery.sealer.unseal(data.sealed_link, context=data.invitation_id),
            expires_at=data.expires_at,
        ),
        sender=delivery.sender,
    )
