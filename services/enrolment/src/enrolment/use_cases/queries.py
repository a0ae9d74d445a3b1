"""What a tenant reads about its enrolments: one, a page, an export, the funnel."""

from collections.abc import AsyncGenerator
from dataclasses import dataclass
from datetime import datetime

from onboarding_kit.uow import UnitOfWork

from enrolment.domain.cursors import decode_cursor, encode_cursor
from enrolment.domain.selection import Selection
from enrolment.errors import EnrolmentNotFound
from enrolment.store import EnrolmentTransaction
from enrolment.store.enrolments import Enrolment, Funnel


@dataclass(frozen=True)
class EnrolmentPage:
    items: list[Enrolment]
    next_cursor: str | None  # None on the last page


async def existing_enrolment(
    tx: EnrolmentTransaction, tenant_id: str, enrolment_id: str, *, for_update: bool = False
) -> Enrolment:
    """The tenant's enrolment (locked until the transaction ends, if asked for update);
    another tenant's is not found."""
    found = await tx.enrolments.get(tenant_id, enrolment_id, for_update=for_update)
    if found is None:
        raise EnrolmentNotFound()
    return found


async def get_enrolment(
    uow: UnitOfWork[EnrolmentTransaction], tenant_id: str, enrolment_id: str
) -> Enrolment:
    async with uow() as tx:
        return await existing_enrolment(tx, tenant_id, enrolment_id)


async def list_enrolments(
    uow: UnitOfWork[EnrolmentTransaction],
    tenant_id: str,
    selection: Selection,
    limit: int,
    cursor: str | None,
) -> EnrolmentPage:
    """A page of the selection in creation order; its cursor leads to the next one."""
    after = decode_cursor(cursor) if cursor else None
    async with uow() as tx:
        items = await tx.enrolments.page(tenant_id, selection, after, limit + 1)
    if len(items) <= limit:
        return EnrolmentPage(items, None)
    items = items[:limit]
    return EnrolmentPage(items, encode_cursor(items[-1].created_at, items[-1].id))


async def export_enrolments(
    uow: UnitOfWork[EnrolmentTransaction],
    tenant_id: str,
    selection: Selection,
    page_size: int,
    statement_timeout_ms: int,
) -> AsyncGenerator[list[Enrolment], None]:
    """The whole selection in creation order, a page at a time. Each page is one short
    query in its own transaction, bounded by `statement_timeout_ms`, so a caller that
    streams slowly holds no connection between pages (the pool is shared with the
    subscribers and the relay). Not one snapshot: an enrolment changed during the export
    shows as it was when its page was read."""
    after: tuple[datetime, str] | None = None
    while True:
        async with uow() as tx:
            await tx.limit_statement_time(statement_timeout_ms)
            page = await tx.enrolments.page(tenant_id, selection, after, page_size)
        if not page:
            return
        yield page
        if len(page) < page_size:
            return
        after = (page[-1].created_at, page[-1].id)


async def funnel(
    uow: UnitOfWork[EnrolmentTransaction], tenant_id: str, selection: Selection
) -> Funnel:
    async with uow() as tx:
        return await tx.enrolments.funnel(tenant_id, selection)
