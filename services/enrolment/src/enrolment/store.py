"""The enrolment service's SQL. Outbox writes go through the kit."""

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
from onboarding_contracts import Envelope
from onboarding_kit import outbox

from enrolment.domain import EnrolmentStatus, Person, RowError


@dataclass(frozen=True)
class NewEnrolment:
    id: str
    person: Person


class EnrolmentStore:
    """All queries of one unit of work, over one connection (inside its transaction)."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def publish(self, events: Sequence[Envelope]) -> None:
        await outbox.append(self.conn, events)

    # --- tenants ---

    async def tenant_by_key_hash(self, key_hash: str) -> str | None:
        tenant_id: str | None = await self.conn.fetchval(
            "SELECT id FROM tenants WHERE api_key_hash = $1", key_hash
        )
        return tenant_id

    async def upsert_tenant(self, tenant_id: str, name: str, key_hash: str) -> str:
        stored: str = await self.conn.fetchval(
            """INSERT INTO tenants (id, name, api_key_hash) VALUES ($1, $2, $3)
               ON CONFLICT (name) DO UPDATE SET api_key_hash = EXCLUDED.api_key_hash
               RETURNING id""",
            tenant_id,
            name,
            key_hash,
        )
        return stored

    # --- enrolments ---

    async def insert_enrolments(
        self,
        tenant_id: str,
        course: str,
        enrolments: Sequence[NewEnrolment],
        *,
        import_id: str | None = None,
    ) -> set[str]:
        """Insert new enrolments; return the ids inserted. A person already enrolled in the
        course is left as they are and their id is missing from the result."""
        rows = await self.conn.fetch(
            """INSERT INTO enrolments
                   (id, tenant_id, course, import_id, status,
                    email, name, external_id, role, cohort, phone, channel)
               SELECT u.id, $1, $2, $3, $4, u.email, u.name, u.external_id, u.role, u.cohort,
                      u.phone, u.channel
               FROM unnest($5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
                           $10::text[], $11::text[], $12::text[])
                    AS u(id, email, name, external_id, role, cohort, phone, channel)
               ON CONFLICT (tenant_id, course, email) DO NOTHING
               RETURNING id""",
            tenant_id,
            course,
            import_id,
            EnrolmentStatus.ENROLLED.value,
            [e.id for e in enrolments],
            [e.person.email for e in enrolments],
            [e.person.name for e in enrolments],
            [e.person.external_id for e in enrolments],
            [e.person.role for e in enrolments],
            [e.person.cohort for e in enrolments],
            [e.person.phone for e in enrolments],
            [e.person.channel for e in enrolments],
        )
        return {row["id"] for row in rows}

    async def enrolment(self, tenant_id: str, enrolment_id: str) -> dict[str, Any] | None:
        row = await self.conn.fetchrow(
            "SELECT * FROM enrolments WHERE tenant_id = $1 AND id = $2", tenant_id, enrolment_id
        )
        return dict(row) if row else None

    async def status_for_update(self, enrolment_id: str) -> EnrolmentStatus | None:
        status = await self.conn.fetchval(
            "SELECT status FROM enrolments WHERE id = $1 FOR UPDATE", enrolment_id
        )
        return EnrolmentStatus(status) if status else None

    async def mark_invited(
        self, enrolment_id: str, status: EnrolmentStatus, invitation_id: str, at: datetime
    ) -> None:
        await self.conn.execute(
            """UPDATE enrolments SET status = $2, invitation_id = $3,
                   invited_at = coalesce(invited_at, $4), updated_at = now()
               WHERE id = $1""",
            enrolment_id,
            status.value,
            invitation_id,
            at,
        )

    async def mark_emailed(self, enrolment_id: str, at: datetime) -> None:
        await self.conn.execute(
            "UPDATE enrolments SET emailed_at = coalesce(emailed_at, $2), updated_at = now() "
            "WHERE id = $1",
            enrolment_id,
            at,
        )

    async def mark_registered(self, enrolment_id: str, account_id: str, at: datetime) -> None:
        await self.conn.execute(
            """UPDATE enrolments SET account_id = $2, registered_at = coalesce(registered_at, $3),
                   updated_at = now()
               WHERE id = $1""",
            enrolment_id,
            account_id,
            at,
        )

    async def mark_activated(
        self, enrolment_id: str, status: EnrolmentStatus, account_id: str, at: datetime
    ) -> dict[str, Any]:
        row = await self.conn.fetchrow(
            """UPDATE enrolments SET status = $2, account_id = $3,
                   activated_at = coalesce(activated_at, $4), updated_at = now()
               WHERE id = $1 RETURNING *""",
            enrolment_id,
            status.value,
            account_id,
            at,
        )
        return dict(row)

    async def funnel(
        self, tenant_id: str, course: str | None, import_id: str | None
    ) -> dict[str, int]:
        row = await self.conn.fetchrow(
            """SELECT count(*) AS enrolled,
                      count(invited_at) AS invited,
                      count(emailed_at) AS emailed,
                      count(registered_at) AS registered,
                      count(*) FILTER (WHERE status = 'active') AS active,
                      count(*) FILTER (WHERE status = 'expired') AS expired,
                      count(*) FILTER (WHERE status = 'cancelled') AS cancelled
               FROM enrolments
               WHERE tenant_id = $1
                 AND ($2::text IS NULL OR course = $2)
                 AND ($3::text IS NULL OR import_id = $3)""",
            tenant_id,
            course,
            import_id,
        )
        return dict(row)

    # --- imports ---

    async def create_import(
        self, import_id: str, tenant_id: str, course: str, cohort: str | None
    ) -> None:
        await self.conn.execute(
            "INSERT INTO imports (id, tenant_id, course, cohort, status) "
            "VALUES ($1, $2, $3, $4, 'processing')",
            import_id,
            tenant_id,
            course,
            cohort,
        )

    async def add_import_errors(self, import_id: str, errors: Sequence[RowError]) -> None:
        await self.conn.executemany(
            "INSERT INTO import_errors (import_id, line, field, reason, raw) "
            "VALUES ($1, $2, $3, $4, $5)",
            [(import_id, e.line, e.field, e.reason, e.raw) for e in errors],
        )

    async def finish_import(
        self, import_id: str, status: str, total: int, enrolled: int, failed: int
    ) -> None:
        await self.conn.execute(
            """UPDATE imports SET status = $2, total_rows = $3, enrolled = $4, failed = $5,
                   finished_at = now()
               WHERE id = $1""",
            import_id,
            status,
            total,
            enrolled,
            failed,
        )

    async def import_summary(self, tenant_id: str, import_id: str) -> dict[str, Any] | None:
        row = await self.conn.fetchrow(
            "SELECT * FROM imports WHERE tenant_id = $1 AND id = $2", tenant_id, import_id
        )
        if row is None:
            return None
        errors = await self.conn.fetch(
            "SELECT line, field, reason, raw FROM import_errors WHERE import_id = $1 ORDER BY line",
            import_id,
        )
        return {**dict(row), "errors": [dict(e) for e in errors]}


UnitOfWork = Callable[[], AbstractAsyncContextManager[EnrolmentStore]]


def unit_of_work(pool: asyncpg.Pool) -> UnitOfWork:
    """A factory of transactions: each `async with uow() as store:` commits on success."""

    @asynccontextmanager
    async def transaction() -> AsyncIterator[EnrolmentStore]:
        async with pool.acquire() as conn, conn.transaction():
            yield EnrolmentStore(conn)

    return transaction
