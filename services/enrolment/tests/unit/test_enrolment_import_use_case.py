"""The import use case, over the in-memory database: rows, batches, events, the report."""

import asyncio
import io
import threading
from collections.abc import Iterable
from typing import Any

import pytest
from enrolment.domain.csv_rows import Row, RowError, read_csv
from enrolment.domain.people import Person
from enrolment.domain.policy import InvitePolicy
from enrolment.errors import InvalidEnrolment
from enrolment.store.imports import ImportSummary
from enrolment.use_cases.caller import SOURCE
from enrolment.use_cases.imports import ImportInto, import_people
from onboarding_contracts import EnrolmentCreated

from .fakes import (
    CALLER,
    COURSE,
    NOW,
    TENANT,
    FakeDatabase,
    FakeEnrolmentRows,
    clock,
    sequential_ids,
)


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
    db: FakeDatabase,
    rows: Iterable[Row | RowError],
    *,
    cohort: str | None = None,
    batch_size: int = 1000,
) -> ImportSummary:
    return await import_people(
        db.uow(),
        clock,
        sequential_ids(),
        CALLER,
        ImportInto(COURSE, cohort),
        rows,
        batch_size=batch_size,
    )


def created_events(db: FakeDatabase) -> list[EnrolmentCreated]:
    assert all(isinstance(e, EnrolmentCreated) for e in db.outbox)
    return [e for e in db.outbox if isinstance(e, EnrolmentCreated)]


async def test_good_rows_are_enrolled_with_one_event_each() -> None:
    db = FakeDatabase()
    result = await run_import(
        db, parse("email,id,name\nann@example.org,s1,Ann Lee\nbob@example.org,s2,Bob\n")
    )
    assert result.status == "completed"
    assert (result.total_rows, result.enrolled, result.failed) == (2, 2, 0)
    assert result.errors == ()

    events = created_events(db)
    assert [str(e.data.email) for e in events] == ["ann@example.org", "bob@example.org"]
    stored_ids = {e[0] for e in db.enrolled.values()}
    assert {e.data.enrolment_id for e in events} == stored_ids
    assert len(stored_ids) == 2


async def test_event_carries_the_person_course_and_import() -> None:
    db = FakeDatabase()
    result = await run_import(
        db,
        parse(
            "email,id,name,role,cohort,phone,channel\n"
            "Ann@Example.org,s1,Ann Lee,mentor,2025-A,+447700900123,sms\n"
        ),
    )
    [event] = created_events(db)
    (enrolment_id, _, import_id) = db.enrolled[(TENANT, COURSE, "ann@example.org")]
    assert import_id == result.id
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
    assert data.import_id == result.id
    assert data.invite is True


async def test_import_cohort_fills_rows_without_their_own() -> None:
    db = FakeDatabase()
    await run_import(
        db,
        parse("email,id,name,cohort\nann@example.org,s1,Ann,own\nbob@example.org,s2,Bob,\n"),
        cohort="import-wide",
    )
    cohorts = {str(e.data.email): e.data.cohort for e in created_events(db)}
    assert cohorts == {"ann@example.org": "own", "bob@example.org": "import-wide"}
    assert db.person("bob@example.org").cohort == "import-wide"


async def test_import_is_recorded_and_finished() -> None:
    db = FakeDatabase()
    db.enrol_already("old@example.org")
    result = await run_import(db, parse(MIXED_CSV), cohort="c1")
    recorded = db.imports[result.id]
    assert (recorded.tenant_id, recorded.course, recorded.cohort) == (TENANT, COURSE, "c1")
    assert recorded.status == "completed_with_errors"
    assert recorded.totals == (7, 2, 5)
    assert sorted(e.line for e in recorded.errors) == [3, 5, 6, 7, 8]
    assert (result.course, result.cohort, result.invite_policy) == (COURSE, "c1", "auto")


async def test_mixed_file_reports_every_bad_row_with_its_line() -> None:
    db = FakeDatabase()
    db.enrol_already("old@example.org")
    result = await run_import(db, parse(MIXED_CSV))

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

    assert sorted(str(e.data.email) for e in created_events(db)) == [
        "ann@example.org",
        "cat@example.org",
    ]
    # The person who was already there is left as they were.
    assert db.enrolment_id("old@example.org") == "earlier"


async def test_already_enrolled_in_another_course_is_enrolled_here() -> None:
    db = FakeDatabase()
    db.enrol_already("ann@example.org", course="Chemistry")
    result = await run_import(db, parse("email,id,name\nann@example.org,s1,Ann\n"))
    assert result.status == "completed"
    assert len(created_events(db)) == 1


@pytest.mark.parametrize("batch_size", [1, 2, 3, 1000])
async def test_batches_give_the_same_result(batch_size: int) -> None:
    reference_db = FakeDatabase()
    reference_db.enrol_already("old@example.org")
    reference = await run_import(reference_db, parse(MIXED_CSV))

    db = FakeDatabase()
    db.enrol_already("old@example.org")
    result = await run_import(db, parse(MIXED_CSV), batch_size=batch_size)

    for attribute in ("status", "total_rows", "enrolled", "failed", "errors"):
        assert getattr(result, attribute) == getattr(reference, attribute)
    assert [str(e.data.email) for e in created_events(db)] == [
        str(e.data.email) for e in created_events(reference_db)
    ]
    assert sorted(e.line for e in db.imports[result.id].errors) == [3, 5, 6, 7, 8]
    assert db.imports[result.id].totals == (7, 2, 5)


async def test_batch_size_two_splits_the_inserts() -> None:
    db = FakeDatabase()
    rows = parse(
        "email,id,name\n"
        "a@example.org,1,A\nb@example.org,2,B\nc@example.org,3,C\n"
        "d@example.org,4,D\ne@example.org,5,E\n"
    )
    result = await run_import(db, rows, batch_size=2)
    assert db.insert_calls == [2, 2, 1]
    assert (result.total_rows, result.enrolled) == (5, 5)
    assert len({e.data.enrolment_id for e in created_events(db)}) == 5


async def test_errors_are_sorted_by_line_across_batches() -> None:
    # Errors of one batch: parse errors first, then already-enrolled ones; the result is
    # nevertheless in line order.
    db = FakeDatabase()
    db.enrol_already("old@example.org")
    rows = parse(
        "email,id,name\n"
        "old@example.org,1,Old\n"  # 2: already enrolled
        "bad,2,Bad\n"  # 3: invalid
    )
    result = await run_import(db, rows, batch_size=10)
    assert [e.line for e in result.errors] == [2, 3]


@pytest.mark.parametrize("batch_size", [7, 1000])
async def test_the_summary_holds_the_first_page_of_errors_and_the_store_all(
    batch_size: int,
) -> None:
    db = FakeDatabase()
    db.enrol_already("old@example.org")
    text = "email,id,name\n" + "".join(f"bad-{n},{n},B\n" for n in range(250))
    result = await run_import(db, parse(text + "old@example.org,x,Old\n"), batch_size=batch_size)
    assert [e.line for e in result.errors] == list(range(2, 102))
    assert result.next_errors_after == 101
    assert (result.total_rows, result.failed) == (251, 251)
    assert sorted(e.line for e in db.imports[result.id].errors) == list(range(2, 253))


async def test_all_rows_bad_is_failed() -> None:
    db = FakeDatabase()
    result = await run_import(db, parse("email,id,name\nbad,1,A\nalso-bad,2,B\n"))
    assert result.status == "failed"
    assert (result.total_rows, result.enrolled, result.failed) == (2, 0, 2)
    assert db.outbox == []


async def test_everyone_already_enrolled_is_failed() -> None:
    db = FakeDatabase()
    db.enrol_already("ann@example.org")
    result = await run_import(db, parse("email,id,name\nann@example.org,1,Ann\n"))
    assert result.status == "failed"
    assert db.outbox == []


async def test_no_rows_is_completed() -> None:
    db = FakeDatabase()
    result = await run_import(db, [])
    assert result.status == "completed"
    assert (result.total_rows, result.enrolled, result.failed) == (0, 0, 0)
    assert db.imports[result.id].status == "completed"


async def test_rows_are_consumed_lazily_at_most_one_batch_ahead() -> None:
    db = FakeDatabase()
    pulled: list[int] = []

    def rows() -> Iterable[Row | RowError]:
        for i in range(7):
            pulled.append(i)
            yield Row(i + 2, Person(email=f"p{i}@example.org", name=f"P{i}", external_id=str(i)))

    seen_when_inserting: list[int] = []
    original = db.enrolment_rows.insert_many

    async def spy(*args: Any, **kwargs: Any) -> set[str]:
        seen_when_inserting.append(len(pulled))
        return await original(*args, **kwargs)

    db.enrolment_rows.insert_many = spy  # type: ignore[method-assign]
    await run_import(db, rows(), batch_size=2)
    # Writing batch k, the rows of k and at most those of k+1 have been read.
    assert len(seen_when_inserting) == 4
    for k, seen in enumerate(seen_when_inserting, start=1):
        assert 2 * k - 1 <= seen <= min(2 * (k + 1), 7)


def person_row(i: int) -> Row:
    return Row(i + 2, Person(email=f"p{i}@example.org", name=f"P{i}", external_id=str(i)))


async def test_the_next_batch_is_read_while_one_is_written_and_its_errors_follow() -> None:
    db = FakeDatabase()
    second_batch_read = threading.Event()

    def rows() -> Iterable[Row | RowError]:
        yield person_row(0)
        yield person_row(1)
        yield RowError(4, "email", "not an address", "x")
        second_batch_read.set()  # as the last row of batch 2 is handed to the reader
        yield person_row(3)
        yield RowError(6, "name", "missing", "y")

    original = db.enrolment_rows.insert_many

    async def first_waits_for_the_second(*args: Any, **kwargs: Any) -> set[str]:
        if not db.insert_calls:
            # Without reading ahead, batch 2 is read only after this returns.
            assert await asyncio.to_thread(second_batch_read.wait, 30)
        return await original(*args, **kwargs)

    db.enrolment_rows.insert_many = first_waits_for_the_second  # type: ignore[method-assign]
    result = await run_import(db, rows(), batch_size=2)
    assert (result.total_rows, result.enrolled, result.failed) == (5, 3, 2)
    assert [e.line for e in result.errors] == [4, 6]
    assert [e.line for e in db.imports[result.id].errors] == [4, 6]


async def test_a_reader_that_dies_fails_the_import_with_its_error() -> None:
    db = FakeDatabase()

    def rows() -> Iterable[Row | RowError]:
        yield person_row(0)
        yield person_row(1)
        yield person_row(2)
        raise OSError("the spooled file cannot be read")

    with pytest.raises(OSError, match="spooled file"):
        await run_import(db, rows(), batch_size=2)
    [recorded] = db.imports.values()
    assert recorded.status == "failed"
    assert recorded.totals == (2, 2, 0), "the batch before stays enrolled and counted"


async def test_a_failed_write_waits_for_the_reader_before_returning() -> None:
    """The caller closes the file once the import returns: no thread may still be in it."""

    class BreaksOnFirstBatch(FakeEnrolmentRows):
        async def insert_many(self, *args: Any, **kwargs: Any) -> set[str]:
            write_failed.set()
            raise ConnectionError("database went away")

    write_failed = threading.Event()
    pulled: list[int] = []

    def rows() -> Iterable[Row | RowError]:
        for i in range(4):
            if i == 3:
                write_failed.wait(30)  # the reader is still in batch 2 when the write fails
            pulled.append(i)
            yield person_row(i)

    db = FakeDatabase()
    db.enrolment_rows = BreaksOnFirstBatch(db)
    with pytest.raises(ConnectionError):
        await run_import(db, rows(), batch_size=2)
    assert pulled == [0, 1, 2, 3]
    [recorded] = db.imports.values()
    assert recorded.status == "failed"


async def test_an_unknown_cohort_in_a_row_is_that_rows_error() -> None:
    db = FakeDatabase(cohorts={"spring"})
    result = await run_import(
        db,
        parse("email,id,name,cohort\na@example.org,1,A,spring\nb@example.org,2,B,autumn\n"),
    )
    assert result.enrolled == 1
    assert [(e.line, e.field) for e in result.errors] == [(3, "cohort")]


async def test_an_unknown_default_cohort_is_refused_before_anything_is_stored() -> None:
    db = FakeDatabase(cohorts={"spring"})
    with pytest.raises(InvalidEnrolment) as caught:
        await run_import(db, parse(MIXED_CSV), cohort="autumn")
    assert caught.value.field == "cohort"
    assert db.imports == {} and db.outbox == []


async def test_an_unknown_course_is_refused_before_anything_is_stored() -> None:
    db = FakeDatabase(courses=set())
    with pytest.raises(InvalidEnrolment, match="unknown course"):
        await run_import(db, parse(MIXED_CSV))
    assert db.imports == {} and db.outbox == []


async def test_someone_with_an_account_is_active_at_once_and_not_invited() -> None:
    db = FakeDatabase(accounts={"ann@example.org": "acc-1"})
    await run_import(db, parse("email,id,name\nann@example.org,1,Ann\nbob@example.org,2,Bob\n"))
    by_type = [(e.type, e.subject) for e in db.outbox]
    ann_created = next(
        e for e in db.outbox if e.type.endswith("created") and e.data.email == "ann@example.org"
    )
    bob_created = next(
        e for e in db.outbox if e.type.endswith("created") and e.data.email == "bob@example.org"
    )
    assert ann_created.data.invite is False and bob_created.data.invite is True
    assert ("onboarding.enrolment.activated", ann_created.subject) in by_type
    assert len(by_type) == 3
    activated = next(e for e in db.outbox if e.type.endswith("activated"))
    assert activated.causation_id == ann_created.id
    assert activated.correlation_id == "corr-1" and activated.tenant_id == TENANT


async def test_manual_policy_enrols_without_inviting() -> None:
    db = FakeDatabase(policy=InvitePolicy.MANUAL)
    result = await run_import(db, parse("email,id,name\nann@example.org,1,Ann\n"))
    [created] = db.outbox
    assert created.data.invite is False
    assert db.imports[result.id].policy == "manual"
    assert result.invite_policy == "manual"


async def test_every_time_written_is_the_clocks() -> None:
    db = FakeDatabase()
    await run_import(db, parse(MIXED_CSV), batch_size=2)
    assert db.times_written and set(db.times_written) == {NOW}


async def test_an_import_that_breaks_half_way_is_marked_failed_not_left_processing() -> None:
    class BreaksOnSecondBatch(FakeEnrolmentRows):
        async def insert_many(self, *args: Any, **kwargs: Any) -> set[str]:
            if self.db.insert_calls:
                raise ConnectionError("database went away")
            return await super().insert_many(*args, **kwargs)

    db = FakeDatabase()
    db.enrolment_rows = BreaksOnSecondBatch(db)
    text = "email,id,name\n" + "".join(f"p{n}@example.org,{n},P {n}\n" for n in range(4))
    with pytest.raises(ConnectionError):
        await run_import(db, parse(text), batch_size=2)
    [recorded] = db.imports.values()
    assert recorded.status == "failed"
    assert recorded.totals == (2, 2, 0), "the first batch stays enrolled and counted"
