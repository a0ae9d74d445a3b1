"""The enrolment service's SQL. Outbox writes go through the kit."""

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager
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
    status: EnrolmentStatus = EnrolmentStatus.ENROLLED
    account_id: str | None = None
    invite: bool = False  # the invitation is asked for at once (auto policy)


@dataclass(frozen=True)
class Selection:
    """Which enrolments a list, an export, a funnel or a bulk invite is about."""

    status: str | None = None
    role: str | None = None
    course: str | None = None
    cohort: str | None = None
    import_id: str | None = None
    text: str | None = None  # matched against name, email and external id

    def where(self, first_parameter: int) -> tuple[str, list[Any]]:
        """SQL conditions (after the tenant's) and their parameters, numbered from
        `first_parameter`."""
        conditions, values = [], []
        for column in ("status", "role", "course", "cohort", "import_id"):
            value = getattr(self, column)
            if value is not None:
                values.append(value)
                conditions.append(f"{column} = ${first_parameter + len(values) - 1}")
        if self.text:
            values.append(f"%{_escape_like(self.text.strip().lower())}%")
            n = first_parameter + len(values) - 1
            conditions.append(
                f"(lower(name) LIKE ${n} OR email LIKE ${n} OR lower(external_id) LIKE ${n})"
            )
        return "".join(f" AND {c}" for c in conditions), values


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class EnrolmentStore:
    """All queries of one unit of work, over one connection (inside its transaction)."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def publish(self, events: Sequence[Envelope]) -> None:
        await outbox.append(self.conn, events)

    # --- tenants, courses, cohorts ---

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

    async def invite_policy(self, tenant_id: str) -> str:
        policy: str = await self.conn.fetchval(
            "SELECT invite_policy FROM tenants WHERE id = $1", tenant_id
        )
        return policy

    async def set_invite_policy(self, tenant_id: str, policy: str) -> None:
        await self.conn.execute(
            "UPDATE tenants SET invite_policy = $2 WHERE id = $1", tenant_id, policy
        )

    async def create_course(self, tenant_id: str, code: str, title: str) -> dict[str, Any] | None:
        """The new course; None when the tenant already has one with this code."""
        row = await self.conn.fetchrow(
            "INSERT INTO courses (tenant_id, code, title) VALUES ($1, $2, $3) "
            "ON CONFLICT DO NOTHING RETURNING code, title, created_at",
            tenant_id,
            code,
            title,
        )
        return dict(row) if row else None

    async def courses(self, tenant_id: str) -> list[dict[str, Any]]:
        rows = await self.conn.fetch(
            "SELECT code, title, created_at FROM courses WHERE tenant_id = $1 ORDER BY code",
            tenant_id,
        )
        return [dict(r) for r in rows]

    async def course_exists(self, tenant_id: str, code: str) -> bool:
        return bool(
            await self.conn.fetchval(
                "SELECT true FROM courses WHERE tenant_id = $1 AND code = $2", tenant_id, code
            )
        )

    async def create_cohort(
        self, tenant_id: str, course: str, code: str, title: str
    ) -> dict[str, Any] | None:
        """The new cohort; None when the course already has one with this code."""
        row = await self.conn.fetchrow(
            "INSERT INTO cohorts (tenant_id, course, code, title) VALUES ($1, $2, $3, $4) "
            "ON CONFLICT DO NOTHING RETURNING course, code, title, created_at",
            tenant_id,
            course,
            code,
            title,
        )
        return dict(row) if row else None

    async def cohorts(self, tenant_id: str, course: str | None) -> list[dict[str, Any]]:
        rows = await self.conn.fetch(
            """SELECT course, code, title, created_at FROM cohorts
               WHERE tenant_id = $1 AND ($2::text IS NULL OR course = $2)
               ORDER BY course, code""",
            tenant_id,
            course,
        )
        return [dict(r) for r in rows]

    async def cohort_codes(self, tenant_id: str, course: str) -> set[str]:
        rows = await self.conn.fetch(
            "SELECT code FROM cohorts WHERE tenant_id = $1 AND course = $2", tenant_id, course
        )
        return {r["code"] for r in rows}

    # --- accounts known from registration ---

    async def remember_account(self, tenant_id: str, email: str, account_id: str) -> None:
        await self.conn.execute(
            "INSERT INTO accounts (tenant_id, email, account_id) VALUES ($1, $2, $3) "
            "ON CONFLICT (tenant_id, email) DO UPDATE SET account_id = EXCLUDED.account_id",
            tenant_id,
            email,
            account_id,
        )

    async def accounts_of(self, tenant_id: str, emails: Sequence[str]) -> dict[str, str]:
        rows = await self.conn.fetch(
            "SELECT email, account_id FROM accounts WHERE tenant_id = $1 AND email = ANY($2)",
            tenant_id,
            list(emails),
        )
        return {r["email"]: r["account_id"] for r in rows}

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
        if not enrolments:
            return set()
        rows = await self.conn.fetch(
            """INSERT INTO enrolments
                   (id, tenant_id, course, import_id, status, account_id, registered_at,
                    activated_at, invitation_requested_at,
                    email, name, external_id, role, cohort, phone, channel)
               SELECT u.id, $1, $2, $3, u.status, u.account_id,
                      CASE WHEN u.account_id IS NULL THEN NULL ELSE now() END,
                      CASE WHEN u.account_id IS NULL THEN NULL ELSE now() END,
                      CASE WHEN u.invite THEN now() END,
                      u.email, u.name, u.external_id, u.role, u.cohort, u.phone, u.channel
               FROM unnest($4::text[], $5::text[], $6::text[], $7::bool[], $8::text[],
                           $9::text[], $10::text[], $11::text[], $12::text[], $13::text[],
                           $14::text[])
                    AS u(id, status, account_id, invite, email, name, external_id, role,
                         cohort, phone, channel)
               ON CONFLICT (tenant_id, course, email) DO NOTHING
               RETURNING id""",
            tenant_id,
            course,
            import_id,
            [e.id for e in enrolments],
            [e.status.value for e in enrolments],
            [e.account_id for e in enrolments],
            [e.invite for e in enrolments],
            [e.person.email for e in enrolments],
            [e.person.name for e in enrolments],
            [e.person.external_id for e in enrolments],
            [e.person.role for e in enrolments],
            [e.person.cohort for e in enrolments],
            [e.person.phone for e in enrolments],
            [e.person.channel for e in enrolments],
        )
        return {row["id"] for row in rows}

    async def enrolment(
        self, tenant_id: str, enrolment_id: str, *, for_update: bool = False
    ) -> dict[str, Any] | None:
        lock = " FOR UPDATE" if for_update else ""
        row = await self.conn.fetchrow(
            f"SELECT * FROM enrolments WHERE tenant_id = $1 AND id = $2{lock}",
            tenant_id,
            enrolment_id,
        )
        return dict(row) if row else None

    async def list_enrolments(
        self, tenant_id: str, selection: Selection, after: tuple[datetime, str] | None, limit: int
    ) -> list[dict[str, Any]]:
        where, values = selection.where(first_parameter=4)
        rows = await self.conn.fetch(
            f"""SELECT * FROM enrolments
                WHERE tenant_id = $1
                  AND ($2::timestamptz IS NULL OR (created_at, id) > ($2::timestamptz, $3::text))
                  {where}
                ORDER BY created_at, id
                LIMIT {int(limit)}""",
            tenant_id,
            after[0] if after else None,
            after[1] if after else None,
            *values,
        )
        return [dict(r) for r in rows]

    async def export_enrolments(
        self, tenant_id: str, selection: Selection, batch: int = 2000
    ) -> AsyncIterator[list[asyncpg.Record]]:
        """The whole selection, a batch at a time, without holding it in memory (a server-side
        cursor; the caller must be inside a transaction)."""
        where, values = selection.where(first_parameter=2)
        cursor = await self.conn.cursor(
            f"SELECT * FROM enrolments WHERE tenant_id = $1{where} ORDER BY created_at, id",
            tenant_id,
            *values,
        )
        while rows := await cursor.fetch(batch):
            yield rows

    async def selected_for_invitation(
        self, tenant_id: str, selection: Selection
    ) -> list[dict[str, Any]]:
        where, values = selection.where(first_parameter=3)
        rows = await self.conn.fetch(
            f"""SELECT * FROM enrolments
                WHERE tenant_id = $1 AND status = $2 AND invitation_requested_at IS NULL{where}
                FOR UPDATE SKIP LOCKED""",
            tenant_id,
            EnrolmentStatus.ENROLLED.value,
            *values,
        )
        return [dict(r) for r in rows]

    async def mark_invitation_requested(self, enrolment_ids: Sequence[str]) -> None:
        await self.conn.execute(
            "UPDATE enrolments SET invitation_requested_at = now(), updated_at = now() "
            "WHERE id = ANY($1::text[])",
            list(enrolment_ids),
        )

    async def update_enrolment(
        self, enrolment_id: str, changes: dict[str, str | None]
    ) -> dict[str, Any]:
        assignments = ", ".join(f"{column} = ${n}" for n, column in enumerate(changes, start=2))
        row = await self.conn.fetchrow(
            f"UPDATE enrolments SET {assignments}, updated_at = now() WHERE id = $1 RETURNING *",
            enrolment_id,
            *changes.values(),
        )
        return dict(row)

    async def cancel(self, enrolment_id: str) -> dict[str, Any]:
        row = await self.conn.fetchrow(
            """UPDATE enrolments SET status = 'cancelled', cancelled_at = now(), updated_at = now()
               WHERE id = $1 RETURNING *""",
            enrolment_id,
        )
        return dict(row)

    async def status_for_update(self, enrolment_id: str) -> EnrolmentStatus | None:
        status = await self.conn.fetchval(
            "SELECT status FROM enrolments WHERE id = $1 FOR UPDATE", enrolment_id
        )
        return EnrolmentStatus(status) if status else None

    async def statuses_for_update(self, enrolment_ids: Sequence[str]) -> dict[str, EnrolmentStatus]:
        rows = await self.conn.fetch(
            "SELECT id, status FROM enrolments WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE",
            list(enrolment_ids),
        )
        return {r["id"]: EnrolmentStatus(r["status"]) for r in rows}

    async def mark_invited(
        self, invited: Sequence[tuple[str, EnrolmentStatus, str, datetime]]
    ) -> None:
        """(enrolment id, new status, invitation id, when) for each enrolment invited."""
        if not invited:
            return
        await self.conn.execute(
            """UPDATE enrolments e SET status = u.status, invitation_id = u.invitation_id,
                   invited_at = coalesce(e.invited_at, u.at), updated_at = now()
               FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[])
                    AS u(id, status, invitation_id, at)
               WHERE e.id = u.id""",
            *[list(column) for column in zip(*invited, strict=True)],
        )

    async def mark_emailed(self, emailed: Sequence[tuple[str, datetime]]) -> None:
        """(enrolment id, when) for each enrolment whose invitation was delivered."""
        if not emailed:
            return
        await self.conn.execute(
            """UPDATE enrolments e SET emailed_at = coalesce(e.emailed_at, u.at), updated_at = now()
               FROM unnest($1::text[], $2::timestamptz[]) AS u(id, at)
               WHERE e.id = u.id""",
            *[list(column) for column in zip(*emailed, strict=True)],
        )

    async def mark_delivery_failed(self, enrolment_id: str, at: datetime) -> None:
        await self.conn.execute(
            "UPDATE enrolments SET failed_at = $2, updated_at = now() WHERE id = $1",
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

    async def funnel(self, tenant_id: str, selection: Selection) -> dict[str, int]:
        where, values = selection.where(first_parameter=2)
        row = await self.conn.fetchrow(
            f"""SELECT count(*) AS enrolled,
                       count(invited_at) AS invited,
                       count(emailed_at) AS emailed,
                       count(registered_at) AS registered,
                       count(*) FILTER (WHERE status = 'active') AS active,
                       count(*) FILTER (WHERE status = 'expired') AS expired,
                       count(failed_at) FILTER (WHERE emailed_at IS NULL) AS failed,
                       count(*) FILTER (WHERE status = 'cancelled') AS cancelled
                FROM enrolments
                WHERE tenant_id = $1{where}""",
            tenant_id,
            *values,
        )
        return dict(row)

    # --- imports ---

    async def create_import(
        self, import_id: str, tenant_id: str, course: str, cohort: str | None, policy: str
    ) -> None:
        await self.conn.execute(
            "INSERT INTO imports (id, tenant_id, course, cohort, invite_policy, status) "
            "VALUES ($1, $2, $3, $4, $5, 'processing')",
            import_id,
            tenant_id,
            course,
            cohort,
            policy,
        )

    async def add_import_errors(self, import_id: str, errors: Sequence[RowError]) -> None:
        if errors:
            await self.conn.executemany(
                "INSERT INTO import_errors (import_id, line, field, reason, raw) "
                "VALUES ($1, $2, $3, $4, $5)",
                [(import_id, e.line, e.field, e.reason, e.raw) for e in errors],
            )

    async def count_import_rows(
        self, import_id: str, total: int, enrolled: int, failed: int
    ) -> None:
        """Progress of a running import, visible to `GET /v1/imports/{id}` at once."""
        await self.conn.execute(
            """UPDATE imports SET total_rows = total_rows + $2, enrolled = enrolled + $3,
                   failed = failed + $4
               WHERE id = $1""",
            import_id,
            total,
            enrolled,
            failed,
        )

    async def finish_import(self, import_id: str, status: str) -> None:
        await self.conn.execute(
            "UPDATE imports SET status = $2, finished_at = now() WHERE id = $1",
            import_id,
            status,
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
