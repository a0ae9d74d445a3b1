"""An admin's approval of registered accounts: which statuses a registration and an
approval move, who may be activated and why not, and the use cases over a small in-memory
store (one approval per person waiting, in batches)."""

from collections.abc import AsyncIterator, Callable, Collection
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace

import pytest
from enrolment.domain.selection import PeopleSelection
from enrolment.domain.statuses import (
    ActivationRefusal,
    EnrolmentStatus,
    check_activatable,
    status_after_account_activated,
    status_after_registration,
)
from enrolment.errors import ActivationRefused, EnrolmentNotFound, InvalidEnrolment
from enrolment.store.enrolments import Enrolment
from enrolment.use_cases.activating import activate_enrolment, activate_selection
from onboarding_contracts import ActivationApproved, Envelope
from onboarding_kit.errors import Conflict

from .fakes import CALLER, NOW, TENANT

S = EnrolmentStatus


@pytest.mark.parametrize("current", list(EnrolmentStatus))
def test_a_registration_awaiting_approval_makes_the_enrolment_wait(current: S) -> None:
    waits = current not in (S.ACTIVE, S.CANCELLED)
    after = status_after_registration(current, awaiting_activation=True)
    assert after is (S.PENDING_ACTIVATION if waits else current)
    # Without the tenant's approval, AccountActivated (which follows) moves it instead.
    assert status_after_registration(current, awaiting_activation=False) is current


def test_the_approved_account_makes_a_waiting_enrolment_active() -> None:
    assert status_after_account_activated(S.PENDING_ACTIVATION) is S.ACTIVE
    assert status_after_account_activated(S.CANCELLED) is S.CANCELLED


def test_only_a_person_waiting_for_approval_can_be_activated() -> None:
    check_activatable(S.PENDING_ACTIVATION)
    expected = {
        S.ENROLLED: ActivationRefusal.NOT_REGISTERED,
        S.INVITED: ActivationRefusal.NOT_REGISTERED,
        S.EXPIRED: ActivationRefusal.NOT_REGISTERED,
        S.FAILED: ActivationRefusal.NOT_REGISTERED,
        S.ACTIVE: ActivationRefusal.ACTIVE,
        S.CANCELLED: ActivationRefusal.CANCELLED,
    }
    assert set(expected) == set(EnrolmentStatus) - {S.PENDING_ACTIVATION}
    for status, reason in expected.items():
        with pytest.raises(ActivationRefused) as caught:
            check_activatable(status)
        refused = caught.value
        assert isinstance(refused, Conflict) and refused.status == 409
        assert refused.reason == reason.value and refused.message
        assert refused.extensions == {"reason": reason.value, "message": refused.message}


def test_a_bulk_activation_names_a_group_or_enrolments() -> None:
    with pytest.raises(InvalidEnrolment) as caught:
        PeopleSelection().check_names_someone("activate")
    assert caught.value.field == "course"
    for named in (
        PeopleSelection(course="ielts"),
        PeopleSelection(cohort="spring"),
        PeopleSelection(import_id="imp-1"),
        PeopleSelection(ids=("e-1",)),
    ):
        named.check_names_someone("activate")


# --- the use cases, over a small store ---------------------------------------------------


def enrolment(n: int, status: S = S.PENDING_ACTIVATION, **fields: object) -> Enrolment:
    blank: dict[str, object] = {name: None for name in Enrolment.__dataclass_fields__}
    values = {
        **blank,
        "id": f"e-{n:03}",
        "tenant_id": TENANT,
        "email": f"p{n}@example.org",
        "name": f"P {n}",
        "external_id": str(n),
        "role": "learner",
        "course": "ielts",
        "channel": "email",
        "status": status,
        "account_id": f"acc-{n}" if status is S.PENDING_ACTIVATION else None,
        "created_at": NOW,
        "updated_at": NOW,
        **fields,
    }
    return Enrolment(**values)


@dataclass
class Store:
    """Enrolments by id, the outbox, and the batches the bulk activation read."""

    enrolments: dict[str, Enrolment] = field(default_factory=dict)
    outbox: list[Envelope] = field(default_factory=list)
    batches: list[int] = field(default_factory=list)

    def add(self, *enrolments: Enrolment) -> None:
        self.enrolments.update((e.id, e) for e in enrolments)

    async def get(self, tenant_id: str, enrolment_id: str, *, for_update: bool = False):
        found = self.enrolments.get(enrolment_id)
        return found if found and found.tenant_id == tenant_id else None

    async def batch(
        self,
        tenant_id: str,
        selection: PeopleSelection,
        statuses: Collection[S],
        after_id: str | None,
        limit: int,
    ) -> list[Enrolment]:
        found = sorted(
            (
                e
                for e in self.enrolments.values()
                if e.tenant_id == tenant_id
                and e.status in statuses
                and (after_id is None or e.id > after_id)
                and selection.course in (None, e.course)
                and selection.cohort in (None, e.cohort)
                and (selection.ids is None or e.id in selection.ids)
            ),
            key=lambda e: e.id,
        )[:limit]
        self.batches.append(len(found))
        return found

    async def publish(self, events: list[Envelope]) -> None:
        self.outbox.extend(events)

    def approved(self) -> list[tuple[str, str]]:
        assert all(isinstance(e, ActivationApproved) for e in self.outbox)
        return [(e.data.enrolment_id, e.data.account_id) for e in self.outbox]


@pytest.fixture
def store() -> Store:
    return Store()


class Tx:
    """What the use cases read of a transaction, over the store."""

    def __init__(self, store: Store) -> None:
        self.enrolments = store
        self.bulk = store
        self.publish = store.publish


def uow_of(store: Store) -> Callable[[], object]:
    @asynccontextmanager
    async def transaction() -> AsyncIterator[Tx]:
        yield Tx(store)

    return transaction


async def test_activating_one_person_emits_the_approval_with_their_account(store: Store) -> None:
    waiting = enrolment(1)
    store.add(waiting, enrolment(2, S.INVITED), enrolment(3, tenant_id="other"))
    answered = await activate_enrolment(uow_of(store), CALLER, waiting.id)
    assert answered == waiting, "pending_activation until AccountActivated comes back"
    assert store.approved() == [(waiting.id, "acc-1")]
    [approved] = store.outbox
    assert (approved.subject, approved.tenant_id) == (waiting.id, TENANT)
    assert approved.correlation_id == CALLER.correlation_id

    with pytest.raises(ActivationRefused) as caught:
        await activate_enrolment(uow_of(store), CALLER, "e-002")
    assert caught.value.reason == "not_registered"
    for unknown in ("e-003", "nobody"):  # another tenant's is not found either
        with pytest.raises(EnrolmentNotFound):
            await activate_enrolment(uow_of(store), CALLER, unknown)
    assert len(store.outbox) == 1, "a refusal emits nothing"


async def test_activating_a_selection_approves_everyone_waiting_a_batch_at_a_time(
    store: Store,
) -> None:
    store.add(*(enrolment(n) for n in range(7)))
    store.add(enrolment(7, S.ACTIVE), enrolment(8, S.INVITED), enrolment(9, course="toefl"))
    requested = await activate_selection(
        uow_of(store),
        CALLER,
        PeopleSelection(course="ielts"),
        batch_size=3,
    )
    assert requested == 7
    assert store.batches == [3, 3, 1]
    assert sorted(store.approved()) == [(f"e-{n:03}", f"acc-{n}") for n in range(7)]

    store.outbox.clear()
    some = PeopleSelection(ids=("e-001", "e-009", "e-007"))
    assert await activate_selection(uow_of(store), CALLER, some) == 2
    assert sorted(store.approved()) == [("e-001", "acc-1"), ("e-009", "acc-9")]
    with pytest.raises(InvalidEnrolment):
        await activate_selection(uow_of(store), CALLER, PeopleSelection())


async def test_an_approval_is_sent_again_while_the_person_still_waits(store: Store) -> None:
    """The registration service applies it once; asking again is how an admin nudges it."""
    store.add(enrolment(1))
    for _ in range(2):
        await activate_enrolment(uow_of(store), CALLER, "e-001")
    assert store.approved() == [("e-001", "acc-1")] * 2
    store.add(replace(store.enrolments["e-001"], status=S.ACTIVE))
    with pytest.raises(ActivationRefused):
        await activate_enrolment(uow_of(store), CALLER, "e-001")
