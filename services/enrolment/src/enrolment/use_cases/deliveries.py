"""What the notification service's events tell the enrolment service: the state of every
message to a person, and an invited person whose current link could not be delivered
(failed). Each runs in the consumer's transaction, so it opens none."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from onboarding_contracts import (
    NotificationDeferred,
    NotificationDelivered,
    NotificationFailed,
    NotificationSent,
)
from onboarding_contracts.events.notification import AboutMessage
from onboarding_kit.clock import Clock

from enrolment.domain.invitations import carried_link
from enrolment.domain.messages import (
    LINK_KINDS,
    MessageReport,
    MessageState,
    MessageStatus,
    message_after,
)
from enrolment.domain.statuses import status_after_delivery_failed
from enrolment.store import EnrolmentTransaction


def _about(data: AboutMessage) -> dict[str, Any]:
    return {
        "notification_id": data.notification_id,
        "invitation_id": data.invitation_id,
        "enrolment_id": data.enrolment_id,
        "kind": data.kind,
        "channel": data.channel,
        "send_count": data.send_count,
    }


def deferred_report(event: NotificationDeferred) -> MessageReport:
    data = event.data
    return MessageReport(
        **_about(data),
        status=MessageStatus.RETRYING,
        at=event.time,
        attempts=data.attempts,
        error=data.reason,
        next_attempt_at=data.next_attempt_at,
    )


def sent_report(event: NotificationSent) -> MessageReport:
    data = event.data
    return MessageReport(
        **_about(data),
        status=MessageStatus.SENT,
        at=event.time,
        attempts=data.attempts,
        provider_id=data.provider_id,
        sent_at=data.sent_at,
    )


def delivered_report(event: NotificationDelivered) -> MessageReport:
    data = event.data
    return MessageReport(
        **_about(data),
        status=MessageStatus.DELIVERED,
        at=event.time,
        provider_id=data.provider_id,
        delivered_at=data.delivered_at,
    )


def failed_report(event: NotificationFailed) -> MessageReport:
    data = event.data
    return MessageReport(
        **_about(data),
        status=MessageStatus(data.status),
        at=event.time,
        attempts=data.attempts,
        error=data.reason,
        failed_at=data.failed_at or event.time,
    )


async def record_messages(
    tx: EnrolmentTransaction, reports: Sequence[MessageReport], at: datetime
) -> list[MessageState]:
    """Apply the reports, in order, to the messages they are about; the messages whose
    status they moved, as they are now."""
    stored = await tx.messages.for_update({r.notification_id for r in reports})
    changed: dict[str, MessageState] = {}
    moved: dict[str, MessageState] = {}
    for report in reports:
        before = changed.get(report.notification_id) or stored.get(report.notification_id)
        after = message_after(before, report)
        if after is None:
            continue
        changed[report.notification_id] = after
        if before is None or after.status is not before.status:
            moved[report.notification_id] = after
    await tx.messages.save(list(changed.values()), at)
    return list(moved.values())


async def fail_enrolments(
    tx: EnrolmentTransaction, given_up: Sequence[MessageState], at: datetime
) -> None:
    """An invited person whose current link one of these given-up messages carried is
    failed, with the message's reason; a message of an earlier link, or a welcome, changes
    nobody."""
    if not given_up:
        return
    ids = sorted({m.enrolment_id for m in given_up})
    current = await tx.enrolments.statuses_for_update(ids)
    links = await tx.invitations.current_links(ids)
    failures: dict[str, MessageState] = {}
    for message in given_up:
        if message.enrolment_id in current and carried_link(
            message, links.get(message.enrolment_id)
        ):
            failures[message.enrolment_id] = message
    await tx.enrolments.mark_delivery_failed(
        [
            (enrolment_id, new_status, message.last_error, message.failed_at or at)
            for enrolment_id, message in failures.items()
            if (new_status := status_after_delivery_failed(current[enrolment_id]))
            is not current[enrolment_id]
        ],
        at,
    )


async def notifications_deferred(
    tx: EnrolmentTransaction, events: Sequence[NotificationDeferred], *, clock: Clock
) -> None:
    await record_messages(tx, [deferred_report(e) for e in events], clock())


async def notifications_sent(
    tx: EnrolmentTransaction, events: Sequence[NotificationSent], *, clock: Clock
) -> None:
    """Messages taken by the mail server or the SMS provider; a link's reached the person
    (the funnel's `emailed`), a welcome's is not an invitation."""
    at = clock()
    await record_messages(tx, [sent_report(e) for e in events], at)
    await tx.enrolments.mark_emailed(
        [(e.data.enrolment_id, e.data.sent_at) for e in events if e.data.kind in LINK_KINDS], at
    )


async def notifications_delivered(
    tx: EnrolmentTransaction, events: Sequence[NotificationDelivered], *, clock: Clock
) -> None:
    await record_messages(tx, [delivered_report(e) for e in events], clock())


async def notifications_failed(
    tx: EnrolmentTransaction, events: Sequence[NotificationFailed], *, clock: Clock
) -> None:
    at = clock()
    moved = await record_messages(tx, [failed_report(e) for e in events], at)
    await fail_enrolments(tx, [m for m in moved if m.given_up], at)
