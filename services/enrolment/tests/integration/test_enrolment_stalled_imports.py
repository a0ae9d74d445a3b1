"""How long an import not settled yet has gone without progress, on a real PostgreSQL: what
counts as unsettled and as progress, the cost of finding out for imports of 100,000 people,
and the periodic job that sets `onboarding_import_stalled_seconds`."""

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from itertools import count

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaProducer
from enrolment.store import EnrolmentTransaction
from enrolment.store.imports import LEAST_RECENT_PROGRESS, ImportProgress
from enrolment.tenants import ensure_tenant
from enrolment.use_cases.stalled_imports import STALLED_IMPORTS_JOB, longest_stall
from fastapi import FastAPI
from onboarding_devtools.testing import eventually, query
from onboarding_kit.runtime import ServiceRuntime
from onboarding_kit.scheduler import PeriodicJob
from prometheus_client.parser import text_string_to_metric_families

from .helpers import KEY, issued, list_all, post_csv, publish, status_becomes

pytestmark = pytest.mark.integration

T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
_ids = count(1)


@pytest.fixture
async def conn(database: str) -> AsyncIterator[asyncpg.Connection]:
    """A connection to the enrolment schema, with the tenant `acme`."""
    await ensure_tenant(database, "acme", KEY)
    connection = await asyncpg.connect(database)
    try:
        yield connection
    finally:
        await connection.close()


async def add_import(
    conn: asyncpg.Connection,
    status: str,
    created_at: datetime,
    finished_at: datetime | None = None,
) -> str:
    import_id = f"imp-{next(_ids)}"
    await conn.execute(
        """INSERT INTO imports (id, tenant_id, course, status, created_at, finished_at)
           SELECT $1, id, 'ielts', $2, $3, $4 FROM tenants WHERE name = 'acme'""",
        import_id,
        status,
        created_at,
        finished_at,
    )
    return import_id


async def add_people(
    conn: asyncpg.Connection,
    import_id: str,
    people: int,
    status: str,
    at: datetime,
    *,
    invitation_requested: bool = True,
) -> None:
    """`people` enrolments of the import in `status`, last changed at `at` (their invitation
    asked for at their creation, unless said otherwise)."""
    batch = next(_ids)
    await conn.execute(
        """INSERT INTO enrolments (id, tenant_id, email, name, external_id, role, course,
                                   status, import_id, invitation_requested_at, created_at,
                                   updated_at)
           SELECT $1 || '-' || n, t.id, $1 || '-' || n || '@example.org', 'P', n::text,
                  'learner', 'ielts', $3, $2, CASE WHEN $5 THEN $4::timestamptz END,
                  $4, $4
           FROM tenants t, generate_series(1, $6::int) AS n
           WHERE t.name = 'acme'""",
        f"p{batch}",
        import_id,
        status,
        at,
        invitation_requested,
        people,
    )


async def stall_at(conn: asyncpg.Connection, now: datetime) -> float:
    async with conn.transaction():
        return await longest_stall(EnrolmentTransaction(conn), now)


async def least_recent(conn: asyncpg.Connection) -> ImportProgress | None:
    async with conn.transaction():
        return await EnrolmentTransaction(conn).imports.least_recent_progress()


async def test_an_import_storing_its_rows_is_stalled_since_its_last_rows(conn) -> None:
    storing = await add_import(conn, "processing", created_at=T0)
    assert await stall_at(conn, T0 + timedelta(minutes=2)) == 120, "no row stored yet"

    await add_people(conn, storing, 3, "active", at=T0 + timedelta(minutes=4))
    assert await stall_at(conn, T0 + timedelta(minutes=14)) == 600
    assert await least_recent(conn) == ImportProgress(storing, T0 + timedelta(minutes=4))


async def test_an_import_waiting_for_invitations_is_stalled_until_someone_moves_on(conn) -> None:
    waiting = await add_import(conn, "completed", T0, finished_at=T0 + timedelta(minutes=1))
    await add_people(conn, waiting, 5, "enrolled", at=T0 + timedelta(seconds=30))
    assert await stall_at(conn, T0 + timedelta(minutes=11)) == 600, "since the import finished"

    # One person invited at 20 min: the import moves, though the others still wait.
    await add_people(conn, waiting, 1, "invited", at=T0 + timedelta(minutes=20))
    assert await stall_at(conn, T0 + timedelta(minutes=20)) == 0
    assert await stall_at(conn, T0 + timedelta(minutes=26)) == 360

    # An import that broke off with people still waiting is not settled either.
    broken = await add_import(conn, "failed", T0, finished_at=T0 + timedelta(minutes=2))
    await add_people(conn, broken, 2, "enrolled", at=T0 + timedelta(minutes=2))
    assert await stall_at(conn, T0 + timedelta(minutes=26)) == 24 * 60, "the longest stall"
    assert (await least_recent(conn)) == ImportProgress(broken, T0 + timedelta(minutes=2))


async def test_settled_imports_show_no_stall_however_old(conn) -> None:
    long_ago = T0 - timedelta(days=30)
    everyone_invited = await add_import(conn, "completed", long_ago, finished_at=long_ago)
    await add_people(conn, everyone_invited, 4, "invited", at=long_ago)
    await add_people(conn, everyone_invited, 1, "failed", at=long_ago)
    # Invited by hand later, or never: the import asked nobody's invitation.
    by_hand = await add_import(conn, "completed", long_ago, finished_at=long_ago)
    await add_people(conn, by_hand, 3, "enrolled", at=long_ago, invitation_requested=False)
    nobody_enrolled = await add_import(conn, "failed", long_ago, finished_at=long_ago)
    # Someone enrolled one at a time, whose invitation is still on its way, is no import.
    await conn.execute(
        """INSERT INTO enrolments (id, tenant_id, email, name, external_id, role, course,
                                   status, invitation_requested_at, updated_at)
           SELECT 'single', id, 's@example.org', 'S', 's', 'learner', 'ielts', 'enrolled',
                  $1, $1 FROM tenants WHERE name = 'acme'""",
        long_ago,
    )

    assert await least_recent(conn) is None, (everyone_invited, by_hand, nobody_enrolled)
    assert await stall_at(conn, T0) == 0


async def test_finding_the_stall_stays_cheap_for_imports_of_100000_people(conn) -> None:
    big = await add_import(conn, "completed", T0, finished_at=T0 + timedelta(minutes=3))
    await add_people(conn, big, 99_990, "invited", at=T0 + timedelta(minutes=5))
    await add_people(conn, big, 10, "enrolled", at=T0 + timedelta(minutes=2))
    settled = await add_import(conn, "completed", T0, finished_at=T0 + timedelta(minutes=3))
    await add_people(conn, settled, 1_000, "invited", at=T0 + timedelta(minutes=4))
    storing = await add_import(conn, "processing", T0 + timedelta(minutes=1))
    await add_people(conn, storing, 20_000, "enrolled", at=T0 + timedelta(minutes=6))
    # Statistics, as autovacuum would gather them; the rows are fresh (never vacuumed).
    await conn.execute("ANALYZE enrolments")
    await conn.execute("ANALYZE imports")

    assert await least_recent(conn) == ImportProgress(big, T0 + timedelta(minutes=5))
    (explained,) = json.loads(
        await conn.fetchval("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + LEAST_RECENT_PROGRESS)
    )
    plan = explained["Plan"]
    scanned = {n.get("Relation Name") for n in plan_nodes(plan) if n["Node Type"] == "Seq Scan"}
    assert "enrolments" not in scanned
    pages = plan["Shared Hit Blocks"] + plan["Shared Read Blocks"]
    # A few dozen pages with the indexes of migration 0006; thousands without them.
    assert pages < 200, f"{pages} pages read for 121,000 people"


def plan_nodes(node: dict) -> list[dict]:
    found = [node]
    for child in node.get("Plans", []):
        found.extend(plan_nodes(child))
    return found


def stalled_seconds(exposition: str) -> float | None:
    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            if sample.name == "onboarding_import_stalled_seconds":
                assert sample.labels == {"service": "enrolment"}
                return float(sample.value)
    return None


async def run_job(app: FastAPI, client: httpx.AsyncClient) -> float:
    """One turn of the stalled-imports job as the scheduler runs it, then the gauge as
    `/metrics` shows it."""
    runtime: ServiceRuntime = app.state.runtime
    assert runtime.scheduler is not None
    (job,) = [j for j in runtime.jobs if j.name == STALLED_IMPORTS_JOB]
    # The scheduler's own turn may hold the lock for a moment: take the next one.
    await eventually(lambda: _ran(runtime, job))
    seconds = stalled_seconds((await client.get("/metrics")).text)
    assert seconds is not None, "the gauge is shown once the job has run"
    return seconds


async def _ran(runtime: ServiceRuntime, job: PeriodicJob) -> bool:
    assert runtime.scheduler is not None
    return await runtime.scheduler.run_once(job) is not None


async def test_the_job_sets_the_gauge_from_an_import_through_the_api(
    app: FastAPI, client, producer: AIOKafkaProducer, topics, database: str
) -> None:
    body = "email,id,name\n" + "".join(f"p{n}@example.org,{n},P{n}\n" for n in range(3))
    report = (await post_csv(client, body)).json()
    assert (report["status"], report["enrolled"]) == ("completed", 3)
    people = [p["id"] for p in await list_all(client, import_id=report["id"])]
    assert await run_job(app, client) < 60, "its rows were stored just now"

    # Nobody is invited (no invitation service answers) and an hour goes by.
    for sql in (
        "UPDATE enrolments SET updated_at = updated_at - interval '1 hour' WHERE import_id = $1",
        """UPDATE imports SET created_at = created_at - interval '1 hour',
                              finished_at = finished_at - interval '1 hour' WHERE id = $1""",
    ):
        await query(database, sql, report["id"])
    assert 3600 <= await run_job(app, client) < 3660

    await publish(producer, topics, issued(people[0]))
    await status_becomes(client, people[0], "invited")
    assert await run_job(app, client) < 60, "someone moved on: progress"

    await publish(producer, topics, *(issued(p) for p in people[1:]))
    for person in people[1:]:
        await status_becomes(client, person, "invited")
    assert await run_job(app, client) == 0, "everyone invited: settled"
