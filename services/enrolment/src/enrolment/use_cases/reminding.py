"""Reminders (seed 001): a fresh link with reminder wording for people invited and not
registered yet, asked for by an admin (one person, or a course, cohort or import) or by
the tenant's schedule. Each is a ReminderRequested through the outbox; the invitation
service sends the link, and refuses one within the hour of the last."""

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from onboarding_contracts import Origin, ReminderRequested
from onboarding_contracts.events import LinkPolicy, ReminderRequestedData
from onboarding_kit.clock import Clock
from onboarding_kit.ids import IdFactory
from onboarding_kit.uow import UnitOfWork

from enrolment.domain.invitations import check_remindable
from enrolment.domain.selection import Selection
from enrolment.store import EnrolmentTransaction
from enrolment.store.enrolments import Enrolment
from enrolment.use_cases.caller import SOURCE, Caller
from enrolment.use_cases.courses import require_course
from enrolment.use_cases.queries import existing_enrolment

# People reminded per transaction: a course of 100,000 neither holds one huge transaction
# (and its locks) nor pays a commit per person.
REMIND_BATCH_SIZE = 2000
# People a run of the schedule reminds at most; the rest are due still at the next run.
SCHEDULED_BATCH_SIZE = 5000


@dataclass(frozen=True)
class Reminded:
    requested: int  # reminders asked for
    skipped: int  # the others selected: registered, cancelled, not invited, reminded lately


async def _remind(
    tx: EnrolmentTransaction,
    origin: Origin,
    enrolments: Sequence[Enrolment],
    link_policy: LinkPolicy,
    at: datetime,
    *,
    scheduled: bool = False,
) -> None:
    await tx.reminders.mark_requested([e.id for e in enrolments], at)
    await tx.publish(
        [
            ReminderRequested.new(
                origin,
                ReminderRequestedData(
                    enrolment_id=e.id,
                    course=e.course,
                    scheduled=scheduled,
                    link_policy=link_policy,
                ),
            )
            for e in enrolments
        ]
    )


async def remind_enrolment(
    uow: UnitOfWork[EnrolmentTransaction], clock: Clock, caller: Caller, enrolment_id: str
) -> Enrolment:
    """Remind one person; refused (409, with the reason) for someone registered, cancelled
    or never invited, or reminded less than an hour ago."""
    now = clock()
    async with uow() as tx:
        enrolment = await existing_enrolment(tx, caller.tenant_id, enrolment_id, for_update=True)
        known = await tx.invitations.get(caller.tenant_id, enrolment_id)
        check_remindable(
            enrolment.status,
            registered=enrolment.registered_at is not None,
            invitation=known.status if known else None,
            reminder_requested_at=enrolment.reminder_requested_at,
            now=now,
        )
        settings = await tx.tenants.settings(caller.tenant_id)
        await _remind(tx, caller.origin, [enrolment], settings.link_policy, now)
        reminded = await tx.enrolments.get(caller.tenant_id, enrolment_id)
    assert reminded is not None
    return reminded


async def remind_selection(
    uow: UnitOfWork[EnrolmentTransaction],
    clock: Clock,
    caller: Caller,
    selection: Selection,
    *,
    batch_size: int = REMIND_BATCH_SIZE,
) -> Reminded:
    """Remind everyone of a course (and a cohort, an import of it) who may be reminded
    now, a batch per transaction; how many were, and how many of the others were passed
    by."""
    assert selection.course is not None, "a reminder names its course"
    now = clock()
    async with uow() as tx:
        await require_course(tx, caller.tenant_id, selection.course)
        link_policy = (await tx.tenants.settings(caller.tenant_id)).link_policy
        selected = await tx.reminders.selected(caller.tenant_id, selection)
    requested = 0
    while True:
        # Each batch marks its people reminded: the next one finds the others.
        async with uow() as tx:
            batch = await tx.reminders.remindable(caller.tenant_id, selection, now, batch_size)
            await _remind(tx, caller.origin, batch, link_policy, now)
        requested += len(batch)
        if len(batch) < batch_size:
            break
    return Reminded(requested=requested, skipped=max(selected - requested, 0))


async def remind_due(
    tx: EnrolmentTransaction,
    *,
    clock: Clock,
    new_id: IdFactory,
    batch_size: int = SCHEDULED_BATCH_SIZE,
) -> int:
    """The tenants' schedules (the periodic job, in its transaction): remind everyone due,
    once per period, never the registered; how many."""
    now = clock()
    due = await tx.reminders.due(now, batch_size)
    if not due:
        return 0
    by_tenant = itertools.groupby(sorted(due, key=lambda e: e.tenant_id), lambda e: e.tenant_id)
    settings = await tx.tenants.settings_of(list({e.tenant_id for e in due}))
    for tenant_id, enrolments in by_tenant:
        # One correlation per tenant and run: what the schedule asked for at once.
        origin = Origin(SOURCE, tenant_id, new_id())
        await _remind(
            tx,
            origin,
            list(enrolments),
            settings[tenant_id].link_policy,
            now,
            scheduled=True,
        )
    return len(due)
