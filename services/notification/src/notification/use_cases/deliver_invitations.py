"""Delivering invitations: an email to each person whose invitation was issued."""

from collections.abc import Sequence

from onboarding_contracts import InvitationIssued, NotificationFailed, NotificationSent, Origin
from onboarding_contracts.events import (
    NotificationFailedData,
    NotificationSentData,
    link_context_of,
)
from onboarding_kit.clock import Clock
from onboarding_kit.sealing import Sealer

from notification.channels.email import EmailChannel
from notification.domain.ids import notification_id
from notification.domain.invitation_email import InvitationMessage, render_invitation_email
from notification.domain.mime import OutgoingEmail
from notification.store import NotificationTransaction
from notification.store.notifications import NewNotification
from notification.use_cases.sending import send_each

SOURCE = "/onboarding/notification"


async def deliver_invitations(
    tx: NotificationTransaction,
    events: Sequence[InvitationIssued],
    *,
    email: EmailChannel,
    sealer: Sealer,
    sender: str,
    clock: Clock,
) -> None:
    """Email each person their link, once per link, several messages at a time.

    Messages are sent inside the consumer's transaction: if the commit fails after the
    server accepted them, the redelivered events send them again (at least once), and the
    stable Message-ID lets the receiving side drop the copies. A message refused for good
    fails alone (NotificationFailed); a mail server that cannot take messages now fails the
    whole batch, which is retried later."""
    by_id = {
        notification_id(e.data.invitation_id, e.data.send_count): e
        for e in events
        if e.data.channel == "email"  # SMS delivery is not offered yet
    }
    claimed = await tx.notifications.claim(
        [_new_notification(nid, e) for nid, e in by_id.items()], at=clock()
    )
    to_send = {nid: e for nid, e in by_id.items() if nid in claimed}
    # Every link is unsealed before anything is sent: one that cannot be fails the batch,
    # which the consumer then retries event by event.
    messages = {nid: _invitation_email(nid, e, sealer, sender) for nid, e in to_send.items()}
    outcomes = await send_each(email, messages)
    sent = [(nid, to_send[nid]) for nid in outcomes.sent]
    rejected = [(nid, to_send[nid], reason) for nid, reason in outcomes.rejected.items()]
    sent_at = clock()
    await tx.notifications.mark_sent(outcomes.sent, sent_at)
    for nid, reason in outcomes.rejected.items():
        await tx.notifications.mark_failed(nid, str(reason))
    await tx.publish(
        [
            NotificationSent.new(
                Origin.reacting_to(e, SOURCE),
                NotificationSentData(**_about_message(nid, e), sent_at=sent_at),
            )
            for nid, e in sent
        ]
        + [
            NotificationFailed.new(
                Origin.reacting_to(e, SOURCE),
                NotificationFailedData(**_about_message(nid, e), reason=str(reason), attempts=1),
            )
            for nid, e, reason in rejected
        ]
    )


def _new_notification(nid: str, event: InvitationIssued) -> NewNotification:
    return NewNotification(
        id=nid,
        tenant_id=event.tenant_id,
        invitation_id=event.data.invitation_id,
        enrolment_id=event.data.enrolment_id,
        send_count=event.data.send_count,
        channel=event.data.channel,
        recipient=str(event.data.email),
    )


def _about_message(nid: str, event: InvitationIssued) -> dict[str, str]:
    """What every notification event says of its message: which one, for which link."""
    return {
        "notification_id": nid,
        "invitation_id": event.data.invitation_id,
        "enrolment_id": event.data.enrolment_id,
        "channel": event.data.channel,
    }


def _invitation_email(
    nid: str, event: InvitationIssued, sealer: Sealer, sender: str
) -> OutgoingEmail:
    data = event.data
    return render_invitation_email(
        InvitationMessage(
            notification_id=nid,
            recipient=str(data.email),
            name=data.name,
            course=data.course,
            link=sealer.unseal(data.sealed_link, context=link_context_of(event)),
            expires_at=data.expires_at,
            reason=data.reason,
            username=data.username,
            set_password=data.purpose == "set_password",
        ),
        sender=sender,
    )
