"""The people of an account report, read from the database a page at a time: the
enrolments of the selection (the same pages as the CSV export) and the username each
account signs in with."""

from collections.abc import AsyncGenerator
from contextlib import aclosing

from onboarding_kit.uow import UnitOfWork

from enrolment.domain.selection import Selection
from enrolment.reports.people import ReportPerson
from enrolment.store import EnrolmentTransaction
from enrolment.store.enrolments import Enrolment
from enrolment.use_cases.queries import export_enrolments


def person_of(enrolment: Enrolment, username: str | None) -> ReportPerson:
    return ReportPerson(
        name=enrolment.name,
        external_id=enrolment.external_id,
        email=enrolment.email,
        username=username,
        status=str(enrolment.status),
        invited_at=enrolment.invited_at,
        registered_at=enrolment.registered_at,
        activated_at=enrolment.activated_at,
    )


async def report_pages(
    uow: UnitOfWork[EnrolmentTransaction],
    tenant_id: str,
    selection: Selection,
    page_size: int,
    statement_timeout_ms: int,
) -> AsyncGenerator[list[ReportPerson], None]:
    """The selection in creation order, `page_size` people at a time; each page and its
    usernames read in short transactions of their own (no connection is held between
    pages)."""
    pages = export_enrolments(uow, tenant_id, selection, page_size, statement_timeout_ms)
    async with aclosing(pages):
        async for page in pages:
            async with uow() as tx:
                await tx.limit_statement_time(statement_timeout_ms)
                usernames = await tx.accounts.usernames_of(tenant_id, [e.email for e in page])
            yield [person_of(e, usernames.get(e.email)) for e in page]


def described(selection: Selection) -> str:
    """Whom a report is about, in words: its subtitle."""
    parts = [
        f"{label} {value}"
        for label, value in (
            ("course", selection.course),
            ("cohort", selection.cohort),
            ("import", selection.import_id),
            ("status", selection.status),
            ("role", selection.role),
            ("matching", selection.text),
        )
        if value
    ]
    return ", ".join(parts) if parts else "everyone"
