"""The import and enrol use cases, over an in-memory store."""

import io
import itertools
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from enrolment.domain import InvalidEnrolment, Person, Row, RowError, read_csv
from enrolment.handlers import (
    SOURCE,
    AlreadyEnrolled,
    ImportResult,
    Request,
    enrol_person,
    import_people,
)
from enrolment.store import NewEnrolment
from onboarding_contracts import EnrolmentCreated, Envelope

TENANT = "tenant-1"
COURSE = "Biology 101"
REQUEST = Request(tenant_id=TENANT, correlation_id="corr-1")


@dataclass
class Import:
    tenant_id: str
    course: str
    cohort: str | None
    policy: str = "auto"
    status: str = "processing"
    totals: tuple[int, int, int] = (0, 0, 0)
    errors: list[RowError] = field(default_factory=list)


@dataclass
class FakeStore:
    """What the handlers need of EnrolmentStore, in memory, shared by every unit of work.
    Like the SQL, an email already enrolled in the tenant's course is skipped."""

    enrolments: dict[tuple[str, str, str], tuple[str, Person, str | None]] = field(
        default_factory=dict
    )
    imports: dict[str, Import] = field(default_factory=dict)
    outbox: list[Envelope] = field(default_factory=list)
    insert_calls: list[int] = field(default_factory=list)
    courses: set[str] = field(default_factory=lambda: {COURSE})
    cohorts: set[str] = field(default_factory=lambda: {"2025-A", "own", "import-wide", "c1", "c"})
    accounts: dict[str, str] = field(default_factory=dict)
    policy: str = "auto"

    async def course_exists(self, tenant_id: str, code: str) -> bool:
        return code in self.courses

    async def cohort_codes(self, tenant_id: str, course: str) -> set[str]:
        return self.cohorts

    async def invite_policy(self, tenant_id: str) -> str:
        return self.policy

    async def accounts_of(self, tenant_id: str, emails: Sequence[str]) -> dict[str, str]:
        return {e: self.accounts[e] for e in emails if e in self.accounts}

    async def create_import(
        self, import_id: str, tenant_id: str, course: str, cohort: str | None, policy: str
    ) -> None:
        assert import_id not in self.imports
        self.imports[import_id] = Import(tenant_id, course, cohort, policy)

    async def count_import_rows(
        self, import_id: str, total: int, enrolled: int, failed: int
    ) -> None:
        t, e, f = self.imports[import_id].totals
        self.imports[import_id].totals = (t + total, e + enrolled, f + failed)

    async def insert_enrolments(
        self,
        tenant_id: str,
        course: str,
        enrolments: Sequence[NewEnrolment],
        *,
        import_id: str | None = None,
    ) -> set[str]:
        self.insert_calls.append(len(enrolments))
        inserted: set[str] = set()
        for e in enrolments:
            key = (tenant_id, course, e.person.email)
            if key in self.enrolments:
                continue
            self.enrolments[key] = (e.id, e.person, import_id)
            inserted.add(e.id)
        return inserted

    async def publish(self, events: Sequence[Envelope]) -> None:
        self.outbox.extend(events)

    async def add_import_errors(self, import_id: str, errors: Sequence[RowError]) -> None:
        self.imports[import_id].errors.extend(errors)

    async def finish_import(self, import_id: str, status: str) -> None:
        found = self.imports[import_id]
        assert found.status == "processing", "an import is finished once"
        found.status = status

    def enrol_already(self, email: str, course: str = COURSE, tenant_id: str = TENANT) -> None:
        self.enrolments[(tenant_id, course, email)] = (
            "earlier",
            Person(email=email, name="Earlier", external_id="e"),
            None,
        )


def uow_over(store: FakeStore) -> Callable[[], Any]:
    @asynccontextmanager
    async def transaction() -> AsyncIterator[FakeStore]:
        yield store

    return transaction


def sequential_ids(prefix: str = "id") -> Callable[[], str]:
    counter = itertools.count(1)
    return lambda: f"{prefix}-{next(counter)}"


def parse(text: str) -> list[Row | RowError]:
    return list(read_csv(io.StringIO(text, newline="")))


MIXED_CSV = (
    "email,id,name,role\n"
    "ann@example.org,s1,Ann Lee,learner\n"  # 2: good
    "not-an-email,s2,Bob,learner\n"  # 3: bad email
    "cat@example.org,s3,Cat,mentor\n"  # 4: good
    "dan@example.org,s4,Dan,wizard\n"  # 5: bad role
    "old@example.org,s5,Old Timer,learner\n"  # 6: already enrolled
    "ann@example.org,s6,Ann Again,learner\n"  # 7: duplicate of line 2
    "eve@example.org,s7,,learner\n"  # 8: missing name
)


async def run_import(
    store: FakeStore,
    rows: Iterable[Row | RowError],
    *,
    cohort: str | None = None,
    batch_size: int = 1000,
) -> ImportResult:
    return await import_people(
        uow_over(store),
        REQUEST,
        COURSE,
        cohort,
        rows,
        new_id=sequential_ids(),
        batch_size=batch_size,
    )


def created_events(store: FakeStore) -> list[EnrolmentCreated]:
    assert all(isinstance(e, EnrolmentCreated) for e in store.outbox)
    return [e for e in store.outbox if isinstance(e, EnrolmentCreated)]


# --- import_people -----------------------------------------------------------------------


async def test_good_rows_are_enrolled_with_one_event_each() -> None:
    store = FakeStore()
    result = await run_import(
        store,
        parse("email,id,name\nann@example.org,s1,Ann Lee\nbob@example.org,s2,Bob\n"),
    )
    assert result.status == "completed"
    assert (result.total_rows, result.enrolled, result.failed) == (2, 2, 0)
    assert result.errors == []

    events = created_events(store)
    assert [str(e.data.email) for e in events] == ["ann@example.org", "bob@example.org"]
    stored_ids = {e[0] for e in store.enrolments.values()}
    assert {e.data.enrolment_id for e in events} == stored_ids
    assert len(stored_ids) == 2


async def test_event_carries_the_person_course_and_import() -> None:
    store = FakeStore()
    result = await run_import(
        store,
        parse(
            "email,id,name,role,cohort,phone,channel\n"
            "Ann@Example.org,s1,Ann Lee,mentor,2025-A,+447700900123,sms\n"
        ),
    )
    [event] = created_events(store)
    (enrolment_id, _, import_id) = store.enrolments[(TENANT, COURSE, "ann@example.org")]
    assert import_id == result.import_id
    assert event.type == "onboarding.enrolment.created"
    assert event.source == SOURCE
    assert event.subject == enrolment_id
    assert event.tenant_id == TENANT
    assert event.correlation_id == "corr-1"
    data = event.data
    assert data.enrolment_id == enrolment_id
    assert str(data.email) == "ann@example.org"
    assert data.name == "Ann Lee"
    assert data.external_id == "s1"
    assert data.role == "mentor"
    assert data.course == COURSE
    assert data.cohort == "2025-A"
    assert data.phone == "+447700900123"
    assert data.channel == "sms"
    assert data.import_id == result.import_id
    assert data.invite is True


async def test_import_cohort_fills_rows_without_their_own() -> None:
    store = FakeStore()
    await run_import(
        store,
        parse("email,id,name,cohort\nann@example.org,s1,Ann,own\nbob@example.org,s2,Bob,\n"),
        cohort="import-wide",
    )
    cohorts = {str(e.data.email): e.data.cohort for e in created_events(store)}
    assert cohorts == {"ann@example.org": "own", "bob@example.org": "import-wide"}
    assert store.enrolments[(TENANT, COURSE, "bob@example.org")][1].cohort == "import-wide"


async def test_import_is_recorded_and_finished() -> None:
    store = FakeStore()
    store.enrol_already("old@example.org")
    result = await run_import(store, parse(MIXED_CSV), cohort="c1")
    recorded = store.imports[result.import_id]
    assert (recorded.tenant_id, recorded.course, recorded.cohort) == (TENANT, COURSE, "c1")
    assert recorded.status == "completed_with_errors"
    assert recorded.totals == (7, 2, 5)
    assert sorted(e.line for e in recorded.errors) == [3, 5, 6, 7, 8]


async def test_mixed_file_reports_every_bad_row_with_its_line() -> None:
    store = FakeStore()
    store.enrol_already("old@example.org")
    result = await run_import(store, parse(MIXED_CSV))

    assert result.status == "completed_with_errors"
    assert (result.total_rows, result.enrolled, result.failed) == (7, 2, 5)
    errors = result.errors
    assert [(e.line, e.field) for e in errors] == [
        (3, "email"),
        (5, "role"),
        (6, "email"),
        (7, "email"),
        (8, "name"),
    ]
    by_line = {e.line: e for e in errors}
    assert by_line[6].reason == f"already enrolled in {COURSE}"
    assert by_line[6].raw == "old@example.org"
    assert "first on line 2" in by_line[7].reason

    assert sorted(str(e.data.email) for e in created_events(store)) == [
        "ann@example.org",
        "cat@example.org",
    ]
    # The person who was already there is left as they were.
    assert store.enrolments[(TENANT, COURSE, "old@example.org")][0] == "earlier"


async def test_already_enrolled_in_another_course_is_enrolled_here() -> None:
    store = FakeStore()
    store.enrol_already("ann@example.org", course="Chemistry")
    result = await run_import(store, parse("email,id,name\nann@example.org,s1,Ann\n"))
    assert result.status == "completed"
    assert len(created_events(store)) == 1


@pytest.mark.parametrize("batch_size", [1, 2, 3, 1000])
async def test_batches_give_the_same_result(batch_size: int) -> None:
    reference_store = FakeStore()
    reference_store.enrol_already("old@example.org")
    reference = await run_import(reference_store, parse(MIXED_CSV))

    store = FakeStore()
    store.enrol_already("old@example.org")
    result = await run_import(store, parse(MIXED_CSV), batch_size=batch_size)

    for attribute in ("status", "total_rows", "enrolled", "failed", "errors"):
        assert getattr(result, attribute) == getattr(reference, attribute)
    assert [str(e.data.email) for e in created_events(store)] == [
        str(e.data.email) for e in created_events(reference_store)
    ]
    assert sorted(e.line for e in store.imports[result.import_id].errors) == [3, 5, 6, 7, 8]
    assert store.imports[result.import_id].totals == (7, 2, 5)


async def test_batch_size_two_splits_the_inserts() -> None:
    store = FakeStore()
    rows = parse(
        "email,id,name\n"
        "a@example.org,1,A\nb@example.org,2,B\nc@example.org,3,C\n"
        "d@example.org,4,D\ne@example.org,5,E\n"
    )
    result = await run_import(store, rows, batch_size=2)
    assert store.insert_calls == [2, 2, 1]
    assert (result.total_rows, result.enrolled) == (5, 5)
    assert len({e.data.enrolment_id for e in created_events(store)}) == 5


async def test_errors_are_sorted_by_line_across_batches() -> None:
    # Errors of one batch: parse errors first, then already-enrolled ones; the result is
    # nevertheless in line order.
    store = FakeStore()
    store.enrol_already("old@example.org")
    rows = parse(
        "email,id,name\n"
        "old@example.org,1,Old\n"  # 2: already enrolled
        "bad,2,Bad\n"  # 3: invalid
    )
    result = await run_import(store, rows, batch_size=10)
    assert [e.line for e in result.errors] == [2, 3]


async def test_all_rows_bad_is_failed() -> None:
    store = FakeStore()
    result = await run_import(store, parse("email,id,name\nbad,1,A\nalso-bad,2,B\n"))
    assert result.status == "failed"
    assert (result.total_rows, result.enrolled, result.failed) == (2, 0, 2)
    assert store.outbox == []


async def test_everyone_already_enrolled_is_failed() -> None:
    store = FakeStore()
    store.enrol_already("ann@example.org")
    result = await run_import(store, parse("email,id,name\nann@example.org,1,Ann\n"))
    assert result.status == "failed"
    assert store.outbox == []


async def test_no_rows_is_completed() -> None:
    store = FakeStore()
    result = await run_import(store, [])
    assert result.status == "completed"
    assert (result.total_rows, result.enrolled, result.failed) == (0, 0, 0)
    assert store.imports[result.import_id].status == "completed"


async def test_rows_are_consumed_lazily_in_batches() -> None:
    store = FakeStore()
    pulled: list[int] = []

    def rows() -> Iterable[Row | RowError]:
        for i in range(5):
            pulled.append(i)
            yield Row(i + 2, Person(email=f"p{i}@example.org", name=f"P{i}", external_id=str(i)))

    seen_when_inserting: list[int] = []
    original = store.insert_enrolments

    async def spy(*args: object, **kwargs: object) -> set[str]:
        seen_when_inserting.append(len(pulled))
        return await original(*args, **kwargs)

    store.insert_enrolments = spy
    await run_import(store, rows(), batch_size=2)
    assert seen_when_inserting == [2, 4, 5]


# --- enrol_person ------------------------------------------------------------------------


async def test_enrol_person_inserts_and_publishes() -> None:
    store = FakeStore()
    person = Person(email="ann@example.org", name="Ann", external_id="s1", cohort="c")
    enrolment_id = await enrol_person(
        store,
        REQUEST,
        COURSE,
        person,
        new_id=lambda: "enr-1",
    )
    assert enrolment_id == "enr-1"
    assert store.enrolments[(TENANT, COURSE, "ann@example.org")] == ("enr-1", person, None)
    [event] = created_events(store)
    assert event.subject == "enr-1"
    assert event.data.enrolment_id == "enr-1"
    assert event.data.import_id is None
    assert event.data.cohort == "c"
    assert event.correlation_id == "corr-1"
    assert event.tenant_id == TENANT


async def test_enrol_person_already_enrolled_raises_and_publishes_nothing() -> None:
    store = FakeStore()
    store.enrol_already("ann@example.org")
    person = Person(email="ann@example.org", name="Ann", external_id="s1")
    with pytest.raises(AlreadyEnrolled) as caught:
        await enrol_person(store, REQUEST, COURSE, person, new_id=lambda: "enr-2")
    assert str(caught.value) == f"ann@example.org is already enrolled in {COURSE}"
    assert store.outbox == []
    assert store.enrolments[(TENANT, COURSE, "ann@example.org")][0] == "earlier"


async def test_enrol_person_twice() -> None:
    store = FakeStore()
    person = Person(email="ann@example.org", name="Ann", external_id="s1")
    ids = sequential_ids("enr")
    await enrol_person(store, REQUEST, COURSE, person, new_id=ids)
    with pytest.raises(AlreadyEnrolled):
        await enrol_person(store, REQUEST, COURSE, person, new_id=ids)
    assert len(store.outbox) == 1


async def test_an_unknown_cohort_in_a_row_is_that_rows_error() -> None:
    store = FakeStore(cohorts={"spring"})
    result = await run_import(
        store,
        parse("email,id,name,cohort\na@example.org,1,A,spring\nb@example.org,2,B,autumn\n"),
    )
    assert result.enrolled == 1
    assert [(e.line, e.field) for e in result.errors] == [(3, "cohort")]


async def test_an_unknown_course_is_refused_before_anything_is_stored() -> None:
    store = FakeStore(courses=set())
    with pytest.raises(InvalidEnrolment, match="unknown course"):
        await run_import(store, parse(MIXED_CSV))
    assert store.imports == {} and store.outbox == []


async def test_someone_with_an_account_is_active_at_once_and_not_invited() -> None:
    store = FakeStore(accounts={"ann@example.org": "acc-1"})
    await run_import(store, parse("email,id,name\nann@example.org,1,Ann\nbob@example.org,2,Bob\n"))
    by_type = [(e.type, e.subject) for e in store.outbox]
    ann_created = next(
        e for e in store.outbox if e.type.endswith("created") and e.data.email == "ann@example.org"
    )
    bob_created = next(
        e for e in store.outbox if e.type.endswith("created") and e.data.email == "bob@example.org"
    )
    assert ann_created.data.invite is False and bob_created.data.invite is True
    assert ("onboarding.enrolment.activated", ann_created.subject) in by_type
    assert len(by_type) == 3


async def test_manual_policy_enrols_without_inviting() -> None:
    store = FakeStore(policy="manual")
    await run_import(store, parse("email,id,name\nann@example.org,1,Ann\n"))
    [created] = store.outbox
    assert created.data.invite is False
    assert store.imports[next(iter(store.imports))].policy == "manual"


async def test_an_import_that_breaks_half_way_is_marked_failed_not_left_processing() -> None:
    class BreaksOnSecondBatch(FakeStore):
        async def insert_enrolments(self, *args: Any, **kwargs: Any) -> set[str]:
            if self.insert_calls:
                raise ConnectionError("database went away")
            return await super().insert_enrolments(*args, **kwargs)

    store = BreaksOnSecondBatch()
    text = "email,id,name\n" + "".join(f"p{n}@example.org,{n},P {n}\n" for n in range(4))
    with pytest.raises(ConnectionError):
        await run_import(store, parse(text), batch_size=2)
    [recorded] = store.imports.values()
    assert recorded.status == "failed"
    assert recorded.totals == (2, 2, 0), "the first batch stays enrolled and counted"
