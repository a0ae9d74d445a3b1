"""An admin's changes to enrolments: editing one, inviting by hand, cancelling."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from onboarding_contracts import EnrolmentActivated, EnrolmentCancelled, InvitationRequested, Origin
from onboarding_contracts.events import (
    EnrolmentActivatedData,
    EnrolmentCancelledData,
    InvitationRequestedData,
)
from onboarding_kit.clock import Clock
from onboarding_kit.uow import UnitOfWork

from enrolment.domain.attributes import MAX_FLAGS
from enrolment.domain.people import check_reachable, validate_changes
from enrolment.domain.selection import Selection
from enrolment.domain.statuses import check_cancellable, check_invitable
from enrolment.errors import InvalidEnrolment
from enrolment.store import EnrolmentTransaction
from enrolment.store.enrolments import Enrolment
from enrolment.use_cases.caller import Caller
from enrolment.use_cases.queries import existing_enrolment


async def _locked(tx: EnrolmentTransaction, tenant_id: str, enrolment_id: str) -> Enrolment:
    return await existing_enrolment(tx, tenant_id, enrolment_id, for_update=True)


async def change_enrolment(
    uow: UnitOfWork[EnrolmentTransaction],
    clock: Clock,
    caller: Caller,
    enrolment_id: str,
    changes: Mapping[str, object],
) -> Enrolment:
    """Change the name, external id, phone, role, cohort or locale, and the school's record
    (middle name, file number, tags, flags merged, sections); never the email."""
    clean = validate_changes(changes)
    async with uow() as tx:
        enrolment = await _locked(tx, caller.tenant_id, enrolment_id)
        cohort = clean.get("cohort")
        if isinstance(cohort, str) and cohort:
            cohorts = await tx.courses.cohorts_of(caller.tenant_id, enrolment.course)
            cohorts.check(cohort)
        if "phone" in clean:
            phone = clean["phone"]
            check_reachable(enrolment.channel, phone if isinstance(phone, str) else None)
        if not clean:
            return enrolment
        changed = await tx.enrolments.change(enrolment_id, clean, clock())
        if len(changed.flags) > MAX_FLAGS:  # refused: the transaction is rolled back
            raise InvalidEnrolment("flags", f"more than {MAX_FLAGS} flags once merged")
        return changed


@dataclass(frozen=True)
class Invited:
    """What inviting by hand did: invitations asked for, and people activated at once
    because they have an account in the tenant by now."""

    requested: list[Enrolment]
    activated: list[Enrolment]


async def activate_known_accounts(
    tx: EnrolmentTransaction, origin: Origin, enrolments: Sequence[Enrolment], at: datetime
) -> tuple[list[Enrolment], list[Enrolment]]:
    """Someone who created an account in the tenant since they were enrolled (in another
    course) needs no link: they are active at once, as they would be if enrolled today.
    The enrolments activated, and the others (still to be sent a link)."""
    accounts = await tx.accounts.of_emails(origin.tenant_id, [e.email for e in enrolments])
    activated = await tx.enrolments.activate_known(
        [(e.id, accounts[e.email]) for e in enrolments if e.email in accounts], at
    )
    await tx.publish(
        [
            EnrolmentActivated.new(origin, EnrolmentActivatedData.from_fields(e, enrolment_id=e.id))
            for e in activated
        ]
    )
    return activated, [e for e in enrolments if e.email not in accounts]


async def _invite(
    tx: EnrolmentTransaction, origin: Origin, enrolments: Sequence[Enrolment], at: datetime
) -> Invited:
    """Ask for the invitation of each of these enrolments, with the tenant's link rules,
    but for those with an account by now (`activate_known_accounts`)."""
    if not enrolments:
        return Invited([], [])
    settings = await tx.tenants.settings(origin.tenant_id)
    activated, requested = await activate_known_accounts(tx, origin, enrolments, at)
    await tx.enrolments.mark_invitation_requested([e.id for e in requested], at)
    link_policy = settings.link_policy
    # A cohort or an import may span courses: each course's title, in one query.
    titles = await tx.courses.titles_of(origin.tenant_id, {e.course for e in requested})
    await tx.publish(
        [
            InvitationRequested.new(
                origin,
                InvitationRequestedData.from_fields(
                    e,
                    enrolment_id=e.id,
                    course_title=titles.get(e.course),
                    link_policy=link_policy,
                ),
            )
            for e in requested
        ]
    )
    return Invited(requested, activated)


async def invite_enrolment(
    uow: UnitOfWork[EnrolmentTransaction], clock: Clock, caller: Caller, enrolment_id: str
) -> Enrolment:
    """Ask for the invitation of one person enrolled without one (seed 001's paper plane)."""
    async with uow() as tx:
        enrolment = await _locked(tx, caller.tenant_id, enrolment_id)
        check_invitable(
            enrolment.status, invitation_requested=enrolment.invitation_requested_at is not None
        )
        await _invite(tx, caller.origin, [enrolment], clock())
        invited = await tx.enrolments.get(caller.tenant_id, enrolment_id)
    assert invited is not None
    return invited


async def invite_selection(
    uow: UnitOfWork[EnrolmentTransaction], clock: Clock, caller: Caller, selection: Selection
) -> Invited:
    """Seed 001's "Send invites to new enrolments": everyone selected who is enrolled and
    not invited yet."""
    selection.check_names_a_group()
    async with uow() as tx:
        enrolments = await tx.enrolments.invitable(caller.tenant_id, selection)
        return await _invite(tx, caller.origin, enrolments, clock())


async def cancel_enrolment(
    uow: UnitOfWork[EnrolmentTransaction], clock: Clock, caller: Caller, enrolment_id: str
) -> Enrolment:
    """Withdraw an enrolment; its invitation link stops working."""
    async with uow() as tx:
        enrolment = await _locked(tx, caller.tenant_id, enrolment_id)
        check_cancellable(enrolment.status)
        cancelled = await tx.enrolments.cancel(enrolment_id, clock())
        await tx.publish(
            [
                EnrolmentCancelled.new(
                    caller.origin,
                    EnrolmentCancelledData(
                        enrolment_id=enrolment_id, email=enrolment.email, course=enrolment.course
                    ),
                )
            ]
        )
    return cancelled
