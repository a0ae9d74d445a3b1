"""How events from the other services move enrolments. Each runs in the consumer's
transaction (the inbox row and these effects commit together), so it opens none."""

from collections.abc import Sequence
from datetime import datetime

from onboarding_contracts import (
    AccountActivated,
    EnrolmentActivated,
    InvitationAccepted,
    InvitationExpired,
    InvitationIssued,
    InvitationRevoked,
    Origin,
    RegistrationCompleted,
)
from onboarding_contracts.events import EnrolmentActivatedData
from onboarding_kit.clock import Clock

from enrolment.domain.invitations import (
    InvitationStatus,
    Sent,
    expiry_applies,
    is_newer,
    latest_sends,
)
from enrolment.domain.statuses import (
    status_after_account_activated,
    status_after_invitation_expired,
    status_after_invitation_issued,
    status_after_registration,
)
from enrolment.store import EnrolmentTransaction
from enrolment.use_cases.caller import SOURCE
from enrolment.use_cases.deliveries import fail_enrolments


def sent_by(event: InvitationIssued) -> Sent:
    data = event.data
    return Sent(
        enrolment_id=data.enrolment_id,
        invitation_id=data.invitation_id,
        send_count=data.send_count,
        resend_count=data.resend_count,
        reminder_count=data.reminder_count,
        sent_at=event.time,
        expires_at=data.expires_at,
    )


async def links_sent(tx: EnrolmentTransaction, sends: list[Sent], at: datetime) -> None:
    """Links the invitation service sent (told by its events, or by its answer to a
    resend): the view of each invitation follows its latest link, and an enrolled, expired
    or failed person is invited (again). A link older than the one the view knows changes
    nothing: it died when the newer one was sent. The message of a link may have been given
    up before the link's own event came (another topic): the person is failed at once."""
    latest = latest_sends(sends)
    ids = [s.enrolment_id for s in latest]
    current = await tx.enrolments.statuses_for_update(ids)
    stored = await tx.invitations.send_counts(ids)
    newer = [
        s for s in latest if s.enrolment_id in current and is_newer(s, stored.get(s.enrolment_id))
    ]
    await tx.invitations.record_sent(newer, at)
    await tx.enrolments.mark_invited(
        [
            (
                s.enrolment_id,
                status_after_invitation_issued(current[s.enrolment_id]),
                s.invitation_id,
                s.sent_at,
            )
            for s in newer
        ],
        at,
    )
    if newer:
        given_up = await tx.messages.given_up_of([s.enrolment_id for s in newer])
        await fail_enrolments(tx, given_up, at)


async def invitations_issued(
    tx: EnrolmentTransaction, events: Sequence[InvitationIssued], *, clock: Clock
) -> None:
    await links_sent(tx, [sent_by(e) for e in events], clock())


async def invitations_expired(
    tx: EnrolmentTransaction, events: Sequence[InvitationExpired], *, clock: Clock
) -> None:
    """Links that passed their lifetime unused (the sweeper finds thousands at once): the
    invited person is expired, unless a newer link was sent since."""
    ids = [e.data.enrolment_id for e in events]
    current = await tx.enrolments.statuses_for_update(ids)
    stored = await tx.invitations.send_counts(ids)
    applying = {
        e.data.enrolment_id: e
        for e in events
        if e.data.enrolment_id in current
        and expiry_applies(e.data.send_count, stored.get(e.data.enrolment_id))
    }
    now = clock()
    marked = await tx.invitations.mark_expired(
        [(i, e.data.send_count) for i, e in applying.items()], now
    )
    await tx.enrolments.set_statuses(
        [(i, status_after_invitation_expired(current[i])) for i in marked], now
    )


async def invitation_accepted(
    tx: EnrolmentTransaction, event: InvitationAccepted, *, clock: Clock
) -> None:
    data = event.data
    await tx.invitations.settle(
        data.enrolment_id, data.invitation_id, InvitationStatus.ACCEPTED, clock()
    )


async def invitation_revoked(
    tx: EnrolmentTransaction, event: InvitationRevoked, *, clock: Clock
) -> None:
    data = event.data
    await tx.invitations.settle(
        data.enrolment_id, data.invitation_id, InvitationStatus.REVOKED, clock()
    )


async def registration_completed(
    tx: EnrolmentTransaction, event: RegistrationCompleted, *, clock: Clock
) -> None:
    """The person has an account now: a later enrolment of theirs is active at once. When
    their tenant approves accounts by hand, this one waits for an admin
    (pending_activation); otherwise AccountActivated follows and makes it active."""
    data = event.data
    await tx.accounts.remember(event.tenant_id, str(data.email), data.account_id, data.username)
    current = await tx.enrolments.status_for_update(data.enrolment_id)
    if current is None:
        return
    status = status_after_registration(current, awaiting_activation=data.awaiting_activation)
    await tx.enrolments.mark_registered(
        data.enrolment_id, data.account_id, status, event.time, clock()
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
