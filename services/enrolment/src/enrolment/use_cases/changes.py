"""An admin's changes to enrolments: editing one, inviting by hand, cancelling."""

from collections.abc import Mapping

from onboarding_contracts import EnrolmentCancelled, InvitationRequested, Origin
from onboarding_contracts.events import EnrolmentCancelledData, InvitationRequestedData
from onboarding_kit.clock import Clock
from onboarding_kit.uow import UnitOfWork

from enrolment.domain.people import check_reachable, validate_changes
from enrolment.domain.selection import Selection
from enrolment.domain.statuses import check_cancellable, check_invitable
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
    """Change the name, external id, phone, role or cohort; never the email."""
    clean = validate_changes(changes)
    async with uow() as tx:
        enrolment = await _locked(tx, caller.tenant_id, enrolment_id)
        if clean.get("cohort"):
            cohorts = await tx.courses.cohorts_of(caller.tenant_id, enrolment.course)
            cohorts.check(clean["cohort"])
        if "phone" in clean:
            check_reachable(enrolment.channel, clean["phone"])
        if not clean:
            return enrolment
        return await tx.enrolments.change(enrolment_id, clean, clock())


def _invitation_requested(origin: Origin, enrolment: Enrolment) -> InvitationRequested:
    return InvitationRequested.new(
        origin,
        InvitationRequestedData.from_fields(enrolment, enrolment_id=enrolment.id),
    )


async def invite_enrolment(
    uow: UnitOfWork[EnrolmentTransaction], clock: Clock, caller: Caller, enrolment_id: str
) -> Enrolment:
    """Ask for the invitation of one person enrolled without one (seed 001's paper plane)."""
    async with uow() as tx:
        enrolment = await _locked(tx, caller.tenant_id, enrolment_id)
        check_invitable(
            enrolment.status, invitation_requested=enrolment.invitation_requested_at is not None
        )
        await tx.enrolments.mark_invitation_requested([enrolment_id], clock())
        await tx.publish([_invitation_requested(caller.origin, enrolment)])
        invited = await tx.enrolments.get(caller.tenant_id, enrolment_id)
    assert invited is not None
    return invited


async def invite_selection(
    uow: UnitOfWork[EnrolmentTransaction], clock: Clock, caller: Caller, selection: Selection
) -> int:
    """Seed 001's "Send invites to new enrolments": everyone selected who is enrolled and
    not invited yet; how many that was."""
    selection.check_names_a_group()
    async with uow() as tx:
        enrolments = await tx.enrolments.invitable(caller.tenant_id, selection)
        await tx.enrolments.mark_invitation_requested([e.id for e in enrolments], clock())
        await tx.publish([_invitation_requested(caller.origin, e) for e in enrolments])
    return len(enrolments)


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
