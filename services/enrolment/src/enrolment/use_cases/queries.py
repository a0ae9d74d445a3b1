"""What a tenant reads about its enrolments: one, a page, an export, the funnel; and
their invitations, a page at a time."""

from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from onboarding_kit.uow import UnitOfWork

from enrolment.domain.cursors import decode_cursor, encode_cursor
from enrolment.domain.messages import MessageState
from enrolment.domain.selection import InvitationSelection, Selection
from enrolment.errors import EnrolmentNotFound
from enrolment.store import EnrolmentTransaction
from enrolment.store.enrolments import Enrolment
from enrolment.store.funnel import Funnel
from enrolment.store.invitations import InvitationView
from enrolment.store.rows import Place


class Listed(Protocol):
    """An item of a list ordered by its enrolment: (created_at, enrolment id)."""

    @property
    def place(self) -> Place: ...


Item = TypeVar("Item", bound=Listed)


@dataclass(frozen=True)
class Page(Generic[Item]):
    items: list[Item]
    next_cursor: str | None  # None on the last page


async def _page(
    uow: UnitOfWork[EnrolmentTransaction],
    read: Callable[[EnrolmentTransaction, Place | None, int], Awaitable[list[Item]]],
    limit: int,
    cursor: str | None,
) -> Page[Item]:
    """A page of `limit` items read after the place `cursor` names; its cursor leads to
    the next one (one more item is read to tell whether there is one)."""
    after = decode_cursor(cursor) if cursor else None
    async with uow() as tx:
        items = await read(tx, after, limit + 1)
    if len(items) <= limit:
        return Page(items, None)
    items = items[:limit]
    return Page(items, encode_cursor(*items[-1].place))


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
) -> Page[Enrolment]:
    """A page of the selection in creation order."""

    async def read(tx: EnrolmentTransaction, after: Place | None, n: int) -> list[Enrolment]:
        return await tx.enrolments.page(tenant_id, selection, after, n)

    return await _page(uow, read, limit, cursor)


async def list_invitations(
    uow: UnitOfWork[EnrolmentTransaction],
    tenant_id: str,
    selection: InvitationSelection,
    limit: int,
    cursor: str | None,
) -> Page[InvitationView]:
    """A page of the selected invitations, in the order of their enrolments' creation."""

    async def read(tx: EnrolmentTransaction, after: Place | None, n: int) -> list[InvitationView]:
        return await tx.invitations.page(tenant_id, selection, after, n)

    return await _page(uow, read, limit, cursor)


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
    after: Place | None = None
    while True:
        async with uow() as tx:
            await tx.limit_statement_time(statement_timeout_ms)
            page = await tx.enrolments.page(tenant_id, selection, after, page_size)
        if not page:
            return
        yield page
        if len(page) < page_size:
            return
        after = page[-1].place


async def flags_of_export(
    uow: UnitOfWork[EnrolmentTransaction],
    tenant_id: str,
    selection: Selection,
    statement_timeout_ms: int,
) -> list[str]:
    """The flags anyone of the selection has set, by name: the flag columns of an export
    that does not choose its columns."""
    async with uow() as tx:
        await tx.limit_statement_time(statement_timeout_ms)
        return await tx.enrolments.flag_names(tenant_id, selection)


async def funnel(
    uow: UnitOfWork[EnrolmentTransaction], tenant_id: str, selection: Selection
) -> Funnel:
    async with uow() as tx:
        return await tx.funnel.funnel(tenant_id, selection)


async def notifications_of(
    uow: UnitOfWork[EnrolmentTransaction], tenant_id: str, enrolment_id: str
) -> list[MessageState]:
    """Every message to the tenant's enrolment, oldest first; another tenant's is not found."""
    async with uow() as tx:
        await existing_enrolment(tx, tenant_id, enrolment_id)
        return await tx.messages.of_enrolment(enrolment_id)
