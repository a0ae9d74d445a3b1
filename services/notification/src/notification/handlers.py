"""Use cases of the notification service."""

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage

from onboarding_contracts import InvitationIssued, NotificationFailed, NotificationSent
from onboarding_contracts.events import NotificationFailedData, NotificationSentData
from onboarding_kit.sealing import Sealer

from notification.domain import InvitationMessage, render_invitation_email
from notification.mailer import MessageRejected
from notification.store import NotificationStore

SOURCE = "/onboarding/notification"

SendEmail = Callable[[EmailMessage], Awaitable[None]]
Clock = Callable[[], datetime]


@dataclass(frozen=True)
class Delivery:
    send_email: SendEmail
    sealer: Sealer
    sender: str
    now: Clock


async def on_invitation_issued(
    store: NotificationStore, event: InvitationIssued, delivery: Delivery
) -> None:
    """Email the person their link, once per link.

    The message is sent inside the consumer's transaction: if the commit fails after the
    server accepted it, the redelivered event sends it again (at least once), and the stable
    Message-ID lets the receiving side drop the copy."""
    data = event.data
    if data.channel != "email":
        return  # SMS delivery is not offered yet; the invitation stays pending
    notification_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{data.invitation_id}/{data.send_count}"))
    claimed = await store.claim(
        notification_id=notification_id,
        tenant_id=event.tenant_id,
        invitation_id=data.invitation_id,
        enrolment_id=data.enrolment_id,
        send_count=data.send_count,
        channel=data.channel,
        recipient=str(data.email),
    )
    if not claimed:
        return
    link = delivery.sealer.unseal(data.sealed_link, context=data.invitation_id)
    email = render_invitation_email(
        InvitationMessage(
            notification_id=notification_id,
            recipient=str(data.email),
            name=data.name,
            course=data.course,
            link=link,
            expires_at=data.expires_at,
        ),
        sender=delivery.sender,
    )
    try:
        await delivery.send_email(email)
    except MessageRejected as rejected:
        await store.mark_failed(notification_id, str(rejected))
        await store.publish(
            [
                NotificationFailed.caused_by(
                    event,
                    source=SOURCE,
                    subject=notification_id,
                    data=NotificationFailedData(
                        notification_id=notification_id,
                        invitation_id=data.invitation_id,
                        enrolment_id=data.enrolment_id,
                        channel=data.channel,
                        reason=str(rejected),
                        attempts=1,
                    ),
                )
            ]
        )
        return
    sent_at = delivery.now()
    await store.mark_sent(notification_id, sent_at)
    await store.publish(
        [
            NotificationSent.caused_by(
                event,
                source=SOURCE,
                subject=notification_id,
                data=NotificationSentData(
                    notification_id=notification_id,
                    invitation_id=data.invitation_id,
                    enrolment_id=data.enrolment_id,
                    channel=data.channel,
                    sent_at=sent_at,
                ),
            )
        ]
    )
