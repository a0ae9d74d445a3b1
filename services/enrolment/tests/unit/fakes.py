"""The enrolment database in memory, for use cases tested without I/O: what they need of
`EnrolmentTransaction`, with the SQL's rules (an email already enrolled in the tenant's
course is skipped)."""

import itertools
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from enrolment.domain.courses import CohortsOf
from enrolment.domain.csv_rows import RowError
from enrolment.domain.people import Person
from enrolment.domain.policy import InvitePolicy
from enrolment.domain.settings import TenantSettings
from enrolment.domain.statuses import ImportStatus, NewEnrolment
from enrolment.store.enrolments import Enrolment
from enrolment.use_cases.caller import Caller
from onboarding_contracts import Envelope, parse_event
from onboarding_contracts.serialised import SerialisedEvent

TENANT = "tenant-1"
COURSE = "Biology 101"
CALLER = Caller(tenant_id=TENANT, correlation_id="corr-1")
NOW = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def course_title(code: str) -> str:
    """The title the fake catalogue gives each of its courses."""
    return f"The course {code}"


def clock() -> datetime:
    return NOW


def sequential_ids(prefix: str = "id") -> Callable[[], str]:
    counter = itertools.count(1)
    return lambda: f"{prefix}-{next(counter)}"


@dataclass
class Import:
    tenant_id: str
    course: str
    cohort: str | None
    policy: InvitePolicy = InvitePolicy.AUTO
    status: ImportStatus = ImportStatus.PROCESSING
    totals: tuple[int, int, int] = (0, 0, 0)
    errors: list[RowError] = field(default_factory=list)


@dataclass
class FakeDatabase:
    """Shared by every transaction of a test."""

    # (tenant, course, email) -> (enrolment id, person, import id)
    enrolled: dict[tuple[str, str, str], tuple[str, NewEnrolment, str | None]] = field(
        default_factory=dict
    )
    imports: dict[str, Import] = field(default_factory=dict)
    outbox: list[Envelope] = field(default_factory=list)
    insert_calls: list[int] = field(default_factory=list)
    times_written: list[datetime] = field(default_factory=list)
    courses: set[str] = field(default_factory=lambda: {COURSE})
    cohorts: set[str] = field(default_factory=lambda: {"2025-A", "own", "import-wide", "c1", "c"})
    accounts: dict[str, str] = field(default_factory=dict)
    policy: InvitePolicy = InvitePolicy.AUTO
    settings: TenantSettings = field(default_factory=TenantSettings)
    settings_reads: int = 0
    title_reads: int = 0

    def __post_init__(self) -> None:
        self.course_rows = FakeCourseRows(self)
        self.tenant_rows = FakeTenantRows(self)
        self.account_rows = FakeAccountRows(self)
        self.import_rows = FakeImportRows(self)
        self.enrolment_rows = FakeEnrolmentRows(self)

    def uow(self) -> Callable[[], object]:
        @asynccontextmanager
        async def transaction() -> AsyncIterator[FakeTransaction]:
            yield FakeTransaction(self)

        return transaction

    def person(self, email: str, course: str = COURSE, tenant_id: str = TENANT) -> Person:
        return self.enrolled[(tenant_id, course, email)][1].person

    def enrolment_id(self, email: str, course: str = COURSE, tenant_id: str = TENANT) -> str:
        return self.enrolled[(tenant_id, course, email)][0]

    def enrol_already(self, email: str, course: str = COURSE, tenant_id: str = TENANT) -> None:
        person = Person(email=email, name="Earlier", external_id="e")
        self.enrolled[(tenant_id, course, email)] = (
            "earlier",
            NewEnrolment("earlier", person),
            None,
        )


class FakeTransaction:
    def __init__(self, db: FakeDatabase) -> None:
        self.courses = db.course_rows
        self.tenants = db.tenant_rows
        self.accounts = db.account_rows
        self.imports = db.import_rows
        self.enrolments = db.enrolment_rows
        self._db = db

    async def publish(self, events: Sequence[Envelope | SerialisedEvent]) -> None:
        # As the outbox stores them: an event written straight to JSON is read back whole
        # (and so checked against its model).
        self._db.outbox.extend(
            parse_event(e.json) if isinstance(e, SerialisedEvent) else e for e in events
        )


@dataclass
class FakeCourseRows:
    db: FakeDatabase

    async def title_of(self, tenant_id: str, code: str) -> str | None:
        self.db.title_reads += 1
        return course_title(code) if code in self.db.courses else None

    async def cohorts_of(self, tenant_id: str, course: str) -> CohortsOf:
        return CohortsOf(course, frozenset(self.db.cohorts))


@dataclass
class FakeTenantRows:
    db: FakeDatabase

    async def settings(self, tenant_id: str) -> TenantSettings:
        self.db.settings_reads += 1
        return replace(self.db.settings, invite_policy=self.db.policy)


@dataclass
class FakeAccountRows:
    db: FakeDatabase

    async def of_emails(self, tenant_id: str, emails: Sequence[str]) -> dict[str, str]:
        return {e: self.db.accounts[e] for e in emails if e in self.db.accounts}


@dataclass
class FakeImportRows:
    db: FakeDatabase

    async def create(self, import_id, tenant_id, course, cohort, policy, at) -> None:
        assert import_id not in self.db.imports
        self.db.times_written.append(at)
        self.db.imports[import_id] = Import(tenant_id, course, cohort, policy)

    async def count_rows(self, import_id: str, total: int, enrolled: int, failed: int) -> None:
        t, e, f = self.db.imports[import_id].totals
        self.db.imports[import_id].totals = (t + total, e + enrolled, f + failed)

    async def add_errors(self, import_id: str, errors: Sequence[RowError]) -> None:
        self.db.imports[import_id].errors.extend(errors)

    async def finish(self, import_id: str, status: ImportStatus, at: datetime) -> None:
        found = self.db.imports[import_id]
        assert found.status is ImportStatus.PROCESSING, "an import is finished once"
        self.db.times_written.append(at)
        found.status = status


@dataclass
class FakeEnrolmentRows:
    db: FakeDatabase

    async def insert_many(self, tenant_id, course, import_id, enrolments, at) -> set[str]:
        self.db.insert_calls.append(len(enrolments))
        self.db.times_written.append(at)
        inserted: set[str] = set()
        for e in enrolments:
            key = (tenant_id, course, e.person.email)
            if key in self.db.enrolled:
                continue
            self.db.enrolled[key] = (e.id, e, import_id)
            inserted.add(e.id)
        return inserted

    async def get(self, tenant_id: str, enrolment_id: str) -> Enrolment | None:
        for (tenant, course, _), (id_, new, import_id) in self.db.enrolled.items():
            if tenant == tenant_id and id_ == enrolment_id:
                p = new.person
                return Enrolment(
                    **{
                        **{name: None for name in Enrolment.__dataclass_fields__},
                        "id": id_,
                        "tenant_id": tenant,
                        "email": p.email,
                        "name": p.name,
                        "external_id": p.external_id,
                        "role": p.role,
                        "course": course,
                        "cohort": p.cohort,
                        "channel": p.channel,
                        "phone": p.phone,
                        "status": new.status,
                        "import_id": import_id,
                        "account_id": new.account_id,
                        "created_at": NOW,
                        "updated_at": NOW,
                    }
                )
        return None
