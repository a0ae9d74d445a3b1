"""Queueing messages, inside the consumer's transaction: a row per message with what it
will say (its link still sealed), for the sender to take once this commits. Nothing is
sent here, so the consumer's batch is short and a fault never re-sends a batch."""

import asyncio
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from onboarding_contracts import AccountActivated, InvitationIssued
from onboarding_contracts.events import link_context_of
from onboarding_kit import tracing
from onboarding_kit.sealing import Sealer
from onboarding_kit.wakeup import notify

from notification.domain.ids import notification_id, welcome_id
from notification.store import MESSAGES_QUEUED, NotificationTransaction
from notification.store.messages import Message, NewMessage, Queued
from notification.use_cases.announcing import announcement

REPLACED = "replaced by a newer link before it could be sent"
NO_PHONE = "no phone number to send the text to"


def _link_message(event: InvitationIssued) -> NewMessage:
    data = event.data
    content: dict[str, Any] = {
        "name": data.name,
        "email": str(data.email),
        "phone": data.phone,
        "course": data.course_title or data.course,
        "sealed_link": data.sealed_link,
        "expires_at": data.expires_at.isoformat(),
        "username": data.username,
        "set_password": data.purpose == "set_password",
        # When the link was asked for: the time to its message's send is measured from it.
        "requested_at": (data.requested_at or event.time).isoformat(),
    }
    return NewMessage(
        id=notification_id(data.invitation_id, data.send_count),
        tenant_id=event.tenant_id,
        enrolment_id=data.enrolment_id,
        invitation_id=data.invitation_id,
        send_count=data.send_count,
        account_id=None,
        kind=data.reason,
        channel=data.channel,
        recipient=(data.phone or "") if data.channel == "sms" else str(data.email),
        locale=data.locale,
        content=content,
        correlation_id=event.correlation_id,
        causation_id=event.id,
        trace_context=tracing.traceparent_for(event.id),
    )


async def queue_link_messages(
    tx: NotificationTransaction,
    events: Sequence[InvitationIssued],
    at: datetime,
    sealer: Sealer,
) -> None:
    """A message for each link, once. The messages of a person's earlier links that have
    not gone yet are failed (those links are dead); a text with no number to go to fails
    at once.

    Each link is opened here once, and dropped: a link sealed with a key this service does
    not hold (SealError) fails the batch, so the consumer parks that event as a dead letter
    (replayable once the key is given) rather than queue a message that can never go."""
    for n, event in enumerate(events, start=1):
        sealer.unseal(event.data.sealed_link, context=link_context_of(event))
        if n % 20 == 0:
            await asyncio.sleep(0)  # the sender runs in this process too
    queued = await tx.messages.queue([_link_message(e) for e in events], at)
    ended: list[Message] = []
    for message in queued:
        assert message.send_count is not None
        if message.send_count > 1:
            ended += await tx.messages.fail_waiting_before(
                message.invitation_id, message.send_count, REPLACED, at
            )
    ended += await _fail_unreachable(tx, [m for m in queued if not m.recipient], at)
    await tx.publish([announcement(m) for m in ended])
    if queued:
        await notify(tx.conn, MESSAGES_QUEUED)


async def _fail_unreachable(
    tx: NotificationTransaction, messages: Sequence[Queued], at: datetime
) -> list[Message]:
    return [
        failed
        for message in messages
        if (failed := await tx.messages.fail_queued(message.id, NO_PHONE, at)) is not None
    ]


async def queue_welcomes(
    tx: NotificationTransaction, events: Sequence[AccountActivated], at: datetime
) -> None:
    """A welcome email for each account that may sign in, once per account, in the
    language of the person's invitation."""
    messages = []
    for event in events:
        data = event.data
        messages.append(
            NewMessage(
                id=welcome_id(data.account_id),
                tenant_id=event.tenant_id,
                enrolment_id=data.enrolment_id,
                invitation_id=data.invitation_id or "",
                send_count=None,
                account_id=data.account_id,
                kind="welcome",
                channel="email",
                recipient=str(data.email),
                locale=await tx.messages.locale_of(event.tenant_id, data.enrolment_id),
                content={
                    "name": data.first_name or "",
                    "email": str(data.email),
                    "username": data.username,
                },
                correlation_id=event.correlation_id,
                causation_id=event.id,
                trace_context=tracing.traceparent_for(event.id),
            )
        )
    if await tx.messages.queue(messages, at):
        await notify(tx.conn, MESSAGES_QUEUED)
