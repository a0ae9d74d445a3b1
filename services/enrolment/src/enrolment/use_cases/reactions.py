"""How events from the other services move enrolments. Each runs in the consumer's
transaction (the inbox row and these effects commit together), so it opens none."""

from collections.abc import Sequence

from onboarding_contracts import (
    AccountActivated,
    EnrolmentActivated,
    InvitationIssued,
    NotificationFailed,
    NotificationSent,
    Origin,
    RegistrationCompleted,
)
from onboarding_contracts.events import EnrolmentActivatedData
from onboarding_kit.clock import Clock

from enrolment.domain.statuses import status_after_account_activated, status_after_invitation_issued
from enrolment.store import EnrolmentTransaction
from enrolment.use_cases.caller import SOURCE


async def invitations_issued(
    tx: EnrolmentTransaction, events: Sequence[InvitationIssued], *, clock: Clock
) -> None:
    current = await tx.enrolments.statuses_for_update([e.data.enrolment_id for e in events])
    await tx.enrolments.mark_invited(
        [
            (
                e.data.enrolment_id,
                status_after_invitation_issued(current[e.data.enrolment_id]),
                e.data.invitation_id,
                e.time,
            )
            for e in events
            if e.data.enrolment_id in current
        ],
        clock(),
    )


async def notifications_sent(
    tx: EnrolmentTransaction, events: Sequence[NotificationSent], *, clock: Clock
) -> None:
    await tx.enrolments.mark_emailed(
        [(e.data.enrolment_id, e.data.sent_at) for e in events], clock()
    )


async def notification_failed(
    tx: EnrolmentTransaction, event: NotificationFailed, *, clock: Clock
) -> None:
    await tx.enrolments.mark_delivery_failed(event.data.enrolment_id, event.time, clock())


async def registration_completed(
    tx: EnrolmentTransaction, event: RegistrationCompleted, *, clock: Clock
) -> None:
    """The person has an account now: a later enrolment of theirs is active at once."""
    await tx.accounts.remember(event.tenant_id, str(event.data.email), event.data.account_id)
    await tx.enrolments.mark_registered(
        event.data.enrolment_id, event.data.account_id, event.time, clock()
    )


async def account_activated(
    tx: EnrolmentTransaction, event: AccountActivated, *, clock: Clock
) -> None:
    current = await tx.enrolments.status_for_update(event.data.enrolment_id)
    if current is None:
        return
    new_status = status_after_account_activated(current)
    if new_status is current:
        return
    enrolment = await tx.enrolments.mark_activated(
        event.data.enrolment_id, new_status, event.data.account_id, event.time, clock()
    )
    await tx.publish(
        [
            EnrolmentActivated.new(
                Origin.reacting_to(event, SOURCE),
                EnrolmentActivatedData(
                    enrolment_id=enrolment.id,
                    account_id=event.data.account_id,
                    email=enrolment.email,
                    course=enrolment.course,
                    cohort=enrolment.cohort,
                    role=enrolment.role,
                ),
            )
        ]
    )
