"""Enrolling one person, over the in-memory database."""

import pytest
from enrolment.domain.attributes import Attributes
from enrolment.domain.people import Person
from enrolment.domain.policy import InvitePolicy
from enrolment.domain.statuses import EnrolmentStatus
from enrolment.errors import AlreadyEnrolled, InvalidEnrolment
from enrolment.use_cases.enrolling import enrol_person
from onboarding_contracts import EnrolmentActivated, EnrolmentCreated

from .fakes import CALLER, COURSE, TENANT, FakeDatabase, clock, sequential_ids


async def enrol(
    db: FakeDatabase,
    person: Person,
    ids=lambda: "enr-1",
    invite: InvitePolicy | None = None,
    course: str = COURSE,
):
    return await enrol_person(db.uow(), clock, ids, CALLER, course, person, invite)


async def test_enrol_person_inserts_and_publishes() -> None:
    db = FakeDatabase()
    person = Person(email="ann@example.org", name="Ann", external_id="s1", cohort="c")
    created = await enrol(db, person)
    assert created.id == "enr-1"
    assert (created.email, created.course, created.cohort) == ("ann@example.org", COURSE, "c")
    (enrolment_id, new, import_id) = db.enrolled[(TENANT, COURSE, "ann@example.org")]
    assert (enrolment_id, new.person, import_id) == ("enr-1", person, None)
    [event] = db.outbox
    assert isinstance(event, EnrolmentCreated)
    assert event.subject == "enr-1"
    assert event.data.enrolment_id == "enr-1"
    assert event.data.import_id is None
    assert event.data.cohort == "c"
    assert event.correlation_id == "corr-1"
    assert event.tenant_id == TENANT


async def test_enrol_person_already_enrolled_raises_and_publishes_nothing() -> None:
    db = FakeDatabase()
    db.enrol_already("ann@example.org")
    person = Person(email="ann@example.org", name="Ann", external_id="s1")
    with pytest.raises(AlreadyEnrolled) as caught:
        await enrol(db, person, ids=lambda: "enr-2")
    assert str(caught.value) == f"ann@example.org is already enrolled in {COURSE}"
    assert caught.value.status == 409
    assert db.outbox == []
    assert db.enrolment_id("ann@example.org") == "earlier"


async def test_enrol_person_twice() -> None:
    db = FakeDatabase()
    person = Person(email="ann@example.org", name="Ann", external_id="s1")
    ids = sequential_ids("enr")
    await enrol(db, person, ids=ids)
    with pytest.raises(AlreadyEnrolled):
        await enrol(db, person, ids=ids)
    assert len(db.outbox) == 1


async def test_an_unknown_course_or_cohort_is_refused_naming_the_field() -> None:
    person = Person(email="ann@example.org", name="Ann", external_id="s1", cohort="winter")
    for db, field in [(FakeDatabase(courses=set()), "course"), (FakeDatabase(), "cohort")]:
        with pytest.raises(InvalidEnrolment) as caught:
            await enrol(db, person)
        assert caught.value.field == field
        assert db.enrolled == {} and db.outbox == []


async def test_someone_with_an_account_is_active_at_once() -> None:
    db = FakeDatabase(accounts={"ann@example.org": "acc-1"})
    created = await enrol(db, Person(email="ann@example.org", name="Ann", external_id="s1"))
    assert (created.status, created.account_id) == (EnrolmentStatus.ACTIVE, "acc-1")
    created_event, activated = db.outbox
    assert isinstance(created_event, EnrolmentCreated) and created_event.data.invite is False
    assert isinstance(activated, EnrolmentActivated)
    assert activated.causation_id == created_event.id
    assert activated.data.account_id == "acc-1"


async def test_the_request_may_override_the_tenant_policy() -> None:
    db = FakeDatabase(policy=InvitePolicy.AUTO)
    await enrol(db, Person(email="ann@example.org", name="Ann", external_id="1"), ids=lambda: "a")
    await enrol(
        db,
        Person(email="bob@example.org", name="Bob", external_id="2"),
        ids=lambda: "b",
        invite=InvitePolicy.MANUAL,
    )
    assert [e.data.invite for e in db.outbox] == [True, False]


async def test_the_school_record_is_stored_but_never_in_the_event() -> None:
    db = FakeDatabase()
    record = Attributes(middle_name="Jo", tags=("gifted",), flags={"inclusive": True})
    person = Person(email="ann@example.org", name="Ann", external_id="s1", attributes=record)
    await enrol(db, person)
    (_, new, _) = db.enrolled[(TENANT, COURSE, "ann@example.org")]
    assert new.person.attributes == record
    [event] = db.outbox
    assert isinstance(event, EnrolmentCreated)
    assert not event.data.model_extra
    payload = event.data.model_dump()
    assert not {"attributes", "middle_name", "tags", "flags"} & set(payload)
    assert payload["email"] == "ann@example.org"
