"""An admin's approval of registered accounts (seed 003, tenants with `activation: admin`):
ActivationApproved goes to the registration service through the outbox; it activates the
account, and its AccountActivated makes the enrolment active (`reactions.account_activated`).
Until then the enrolment stays pending_activation: asking again sends the approval again,
which the registration service applies once."""

from collections.abc import Sequence

from onboarding_contracts import ActivationApproved, Origin
from onboarding_contracts.events import ActivationApprovedData
from onboarding_kit.uow import UnitOfWork

from enrolment.domain.selection import PeopleSelection
from enrolment.domain.statuses import ACTIVATABLE, check_activatable
from enrolment.store import EnrolmentTransaction
from enrolment.store.enrolments import Enrolment
from enrolment.use_cases.caller import Caller
from enrolment.use_cases.queries import existing_enrolment

# People activated per transaction: a course of 100,000 neither holds one huge transaction
# (and its locks) nor pays a commit per person.
ACTIVATE_BATCH_SIZE = 2000


async def _approve(
    tx: EnrolmentTransaction, origin: Origin, enrolments: Sequence[Enrolment]
) -> None:
    events = []
    for enrolment in enrolments:
        # Set with the registration that made the enrolment pending_activation.
        assert enrolment.account_id is not None, "a registered enrolment has its account"
        events.append(
            ActivationApproved.new(
                origin,
                ActivationApprovedData(enrolment_id=enrolment.id, account_id=enrolment.account_id),
            )
        )
    await tx.publish(events)


async def activate_enrolment(
    uow: UnitOfWork[EnrolmentTransaction], caller: Caller, enrolment_id: str
) -> Enrolment:
    """Approve the account of one person waiting for it; refused (409, with the reason)
    for anyone else: not registered yet, active already, cancelled."""
    async with uow() as tx:
        enrolment = await existing_enrolment(tx, caller.tenant_id, enrolment_id, for_update=True)
        check_activatable(enrolment.status)
        await _approve(tx, caller.origin, [enrolment])
    return enrolment


async def activate_selection(
    uow: UnitOfWork[EnrolmentTransaction],
    caller: Caller,
    selection: PeopleSelection,
    *,
    batch_size: int = ACTIVATE_BATCH_SIZE,
) -> int:
    """Approve everyone selected who waits for it, a batch per transaction (in id order, so
    each batch starts after the last one); how many approvals were asked for."""
    selection.check_names_someone("activate")
    requested = 0
    after: str | None = None
    while True:
        async with uow() as tx:
            batch = await tx.bulk.batch(
                caller.tenant_id, selection, [ACTIVATABLE], after, batch_size
            )
            await _approve(tx, caller.origin, batch)
        requested += len(batch)
        if len(batch) < batch_size:
            return requested
        after = batch[-1].id
