"""Importing people from a CSV (or a manual batch): every good row enrolled, every bad one
reported with its line and reason."""

from collections.abc import AsyncGenerator, Iterable
from contextlib import aclosing
from dataclasses import dataclass, field

from onboarding_contracts import Origin
from onboarding_kit.clock import Clock
from onboarding_kit.ids import IdFactory
from onboarding_kit.uow import UnitOfWork

from enrolment.domain.courses import CohortsOf
from enrolment.domain.csv_rows import ERRORS_PAGE, Row, RowError, errors_page
from enrolment.domain.policy import InvitePolicy, resolve_policy
from enrolment.domain.statuses import ImportStatus, import_status
from enrolment.errors import ImportNotFound, InvalidEnrolment
from enrolment.store import EnrolmentTransaction
from enrolment.store.imports import ImportSummary
from enrolment.use_cases.caller import Caller
from enrolment.use_cases.courses import require_course
from enrolment.use_cases.enrolling import Target, enrol_people
from enrolment.use_cases.read_ahead import batches_read_ahead

# Rows per transaction: each batch commits with its events, so a large file neither holds
# one huge transaction nor pays a commit per row.
IMPORT_BATCH_SIZE = 5000
# Bad rows per query of an errors download.
ERRORS_DOWNLOAD_PAGE = 1000


@dataclass(frozen=True)
class ImportInto:
    """Where the people of an import or a manual batch are enrolled."""

    course: str
    cohort: str | None = None  # for rows that name none
    invite: InvitePolicy | None = None  # overrides the tenant's policy


async def import_people(
    uow: UnitOfWork[EnrolmentTransaction],
    clock: Clock,
    new_id: IdFactory,
    caller: Caller,
    into: ImportInto,
    rows: Iterable[Row | RowError],
    *,
    batch_size: int = IMPORT_BATCH_SIZE,
) -> ImportSummary:
    """Enrol every good row, report every bad one with its line. Each batch of rows commits
    with its events; a bad row never stops the good ones. The summary holds the first page
    of errors (all of them are stored): a file of bad rows never fills the memory."""
    import_id = new_id()
    async with uow() as tx:
        title = await require_course(tx, caller.tenant_id, into.course)
        cohorts = await tx.courses.cohorts_of(caller.tenant_id, into.course)
        cohorts.check(into.cohort)
        settings = await tx.tenants.settings(caller.tenant_id)
        policy = resolve_policy(settings.invite_policy, into.invite)
        await tx.imports.create(
            import_id, caller.tenant_id, into.course, into.cohort, policy, clock()
        )
    run = _ImportRun(
        caller.origin,
        Target(into.course, title, policy, settings.link_policy, import_id),
        cohorts,
        into.cohort,
        clock,
        new_id,
    )
    try:
        # Batch k+1 is parsed and validated while batch k is written.
        async with aclosing(batches_read_ahead(rows, batch_size)) as batches:
            async for batch in batches:
                async with uow() as tx:
                    await run.enrol_batch(tx, batch)
    except BaseException:
        # The batches already committed stay enrolled (and are reported by GET); the import
        # is marked failed rather than left processing forever.
        async with uow() as tx:
            await tx.imports.finish(import_id, ImportStatus.FAILED, clock())
        raise
    status = import_status(run.enrolled, run.failed)
    async with uow() as tx:
        await tx.imports.finish(import_id, status, clock())
    errors, next_errors_after = errors_page(run.first_errors, ERRORS_PAGE)
    return ImportSummary(
        id=import_id,
        course=into.course,
        cohort=into.cohort,
        invite_policy=policy,
        status=status,
        total_rows=run.total_rows,
        enrolled=run.enrolled,
        failed=run.failed,
        errors=errors,
        next_errors_after=next_errors_after,
    )


@dataclass
class _ImportRun:
    """One import under way: where its rows go, and what it has done so far."""

    origin: Origin
    target: Target
    cohorts: CohortsOf
    default_cohort: str | None
    clock: Clock
    new_id: IdFactory
    total_rows: int = 0
    enrolled: int = 0
    failed: int = 0
    # The errors of the first page, and one more (to tell whether more follow).
    first_errors: list[RowError] = field(default_factory=list)

    @property
    def import_id(self) -> str:
        assert self.target.import_id is not None
        return self.target.import_id

    async def enrol_batch(self, tx: EnrolmentTransaction, batch: list[Row | RowError]) -> None:
        errors: list[RowError] = []
        good: list[Row] = []
        for item in batch:
            if isinstance(item, RowError):
                errors.append(item)
                continue
            row = item.with_default_cohort(self.default_cohort)
            try:
                self.cohorts.check(row.person.cohort)
            except InvalidEnrolment as refused:
                errors.append(RowError(row.line, refused.field, refused.reason, row.person.email))
                continue
            good.append(row)
        ids = {row.line: self.new_id() for row in good}
        people = [(ids[row.line], row.person) for row in good]
        inserted = await enrol_people(tx, self.origin, self.target, people, self.clock())
        errors.extend(
            RowError(
                row.line, "email", f"already enrolled in {self.target.course}", row.person.email
            )
            for row in good
            if ids[row.line] not in inserted
        )
        await tx.imports.add_errors(self.import_id, errors)
        await tx.imports.count_rows(self.import_id, len(batch), len(inserted), len(errors))
        self.total_rows += len(batch)
        self.enrolled += len(inserted)
        self.failed += len(errors)
        # Rows come in line order, so each batch's errors follow those of the one before.
        wanted = ERRORS_PAGE + 1 - len(self.first_errors)
        self.first_errors.extend(sorted(errors, key=lambda e: e.line)[: max(wanted, 0)])


async def import_summary(
    uow: UnitOfWork[EnrolmentTransaction],
    tenant_id: str,
    import_id: str,
    errors_after: int = 0,
    errors_limit: int = ERRORS_PAGE,
) -> ImportSummary:
    """The import's report: its totals, and a page of its errors after line
    `errors_after`."""
    async with uow() as tx:
        found = await tx.imports.summary(tenant_id, import_id, errors_after, errors_limit)
    if found is None:
        raise ImportNotFound()
    return found


async def import_errors(
    uow: UnitOfWork[EnrolmentTransaction],
    tenant_id: str,
    import_id: str,
    page_size: int = ERRORS_DOWNLOAD_PAGE,
) -> AsyncGenerator[list[RowError], None]:
    """Every bad row of the tenant's import, in line order, a page at a time (each read in
    its own short transaction: a slow reader holds no connection). The import is looked up
    first, so that an unknown one is refused before anything is sent."""
    async with uow() as tx:
        if not await tx.imports.exists(tenant_id, import_id):
            raise ImportNotFound()
    return _error_pages(uow, import_id, page_size)


async def _error_pages(
    uow: UnitOfWork[EnrolmentTransaction], import_id: str, page_size: int
) -> AsyncGenerator[list[RowError], None]:
    after = 0
    while True:
        async with uow() as tx:
            page = await tx.imports.errors(import_id, after, page_size)
        if not page:
            return
        yield page
        if len(page) < page_size:
            return
        after = page[-1].line
