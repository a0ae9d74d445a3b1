"""A tenant's courses and their cohorts."""

from collections.abc import Collection
from dataclasses import dataclass, fields
from datetime import datetime

import asyncpg

from enrolment.domain.courses import CohortsOf
from enrolment.store.rows import Rows


@dataclass(frozen=True)
class Course:
    code: str
    title: str
    created_at: datetime


@dataclass(frozen=True)
class Cohort:
    course: str
    code: str
    title: str
    created_at: datetime


COURSE_FIELDS = tuple(f.name for f in fields(Course))
COHORT_FIELDS = tuple(f.name for f in fields(Cohort))


def _course(record: asyncpg.Record) -> Course:
    return Course(**{f: record[f] for f in COURSE_FIELDS})


def _cohort(record: asyncpg.Record) -> Cohort:
    return Cohort(**{f: record[f] for f in COHORT_FIELDS})


class CourseRows(Rows):
    async def create_course(
        self, tenant_id: str, code: str, title: str, at: datetime
    ) -> Course | None:
        """The new course; None when the tenant already has one with this code."""
        row = await self.conn.fetchrow(
            "INSERT INTO courses (tenant_id, code, title, created_at) VALUES ($1, $2, $3, $4) "
            f"ON CONFLICT DO NOTHING RETURNING {', '.join(COURSE_FIELDS)}",
            tenant_id,
            code,
            title,
            at,
        )
        return _course(row) if row else None

    async def courses(self, tenant_id: str) -> list[Course]:
        rows = await self.conn.fetch(
            f"SELECT {', '.join(COURSE_FIELDS)} FROM courses WHERE tenant_id = $1 ORDER BY code",
            tenant_id,
        )
        return [_course(r) for r in rows]

    async def title_of(self, tenant_id: str, code: str) -> str | None:
        """The title of the tenant's course; None when it has no such course."""
        title: str | None = await self.conn.fetchval(
            "SELECT title FROM courses WHERE tenant_id = $1 AND code = $2", tenant_id, code
        )
        return title

    async def titles_of(self, tenant_id: str, codes: Collection[str]) -> dict[str, str]:
        """The title of each of these courses the tenant has."""
        rows = await self.conn.fetch(
            "SELECT code, title FROM courses WHERE tenant_id = $1 AND code = ANY($2::text[])",
            tenant_id,
            list(codes),
        )
        return {r["code"]: r["title"] for r in rows}

    async def create_cohort(
        self, tenant_id: str, course: str, code: str, title: str, at: datetime
    ) -> Cohort | None:
        """The new cohort; None when the course already has one with this code."""
        row = await self.conn.fetchrow(
            "INSERT INTO cohorts (tenant_id, course, code, title, created_at) "
            "VALUES ($1, $2, $3, $4, $5) "
            f"ON CONFLICT DO NOTHING RETURNING {', '.join(COHORT_FIELDS)}",
            tenant_id,
            course,
            code,
            title,
            at,
        )
        return _cohort(row) if row else None

    async def cohorts(self, tenant_id: str, course: str | None) -> list[Cohort]:
        rows = await self.conn.fetch(
            f"""SELECT {", ".join(COHORT_FIELDS)} FROM cohorts
                WHERE tenant_id = $1 AND ($2::text IS NULL OR course = $2)
                ORDER BY course, code""",
            tenant_id,
            course,
        )
        return [_cohort(r) for r in rows]

    async def cohorts_of(self, tenant_id: str, course: str) -> CohortsOf:
        rows = await self.conn.fetch(
            "SELECT code FROM cohorts WHERE tenant_id = $1 AND course = $2", tenant_id, course
        )
        return CohortsOf(course, frozenset(r["code"] for r in rows))
