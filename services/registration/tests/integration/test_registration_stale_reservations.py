"""Usernames left reserved by registrations that never finished are released after
`reservation_ttl_minutes`, by a periodic job: fresh reservations and accounts are kept."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from onboarding_kit.runtime import runtime_of
from onboarding_kit.scheduler import Scheduler
from onboarding_kit.uow import UnitOfWork
from registration.app import create_app
from registration.jobs import jobs
from registration.settings import RegistrationSettings
from registration.store import RegistrationTransaction
from registration.store.accounts import Completion, Reservation

pytestmark = pytest.mark.integration

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
JOB = "registration.release_stale_reservations"


def reservation(username: str, reserved_at: datetime) -> Reservation:
    return Reservation(
        account_id=f"acc-{username}",
        tenant_id="tenant-1",
        username=username,
        email=f"{username}@example.org",
        invitation_id=f"inv-{username}",
        enrolment_id=f"enr-{username}",
        link_hash=username.encode(),
        reserved_at=reserved_at,
    )


def settings(database: str, **changes: object) -> RegistrationSettings:
    return RegistrationSettings(database_url=database, internal_api_token="t" * 16, **changes)


async def test_reservations_older_than_the_ttl_are_released(
    database: str, pool: asyncpg.Pool, uow: UnitOfWork[RegistrationTransaction]
) -> None:
    ttl = timedelta(minutes=30)
    async with uow() as tx:
        await tx.accounts.reserve(reservation("stale", NOW - ttl - timedelta(seconds=1)))
        await tx.accounts.reserve(reservation("fresh", NOW - ttl + timedelta(seconds=1)))
        await tx.accounts.reserve(reservation("active", NOW - timedelta(days=30)))
        completion = Completion(
            "Ada", "Lovelace", "$argon2id$...", "active", NOW - timedelta(days=30)
        )
        assert await tx.accounts.complete("acc-active", completion)
    deps = create_app(settings(database, reservation_ttl_minutes=30)).state.dependencies
    # The service's own job, on the service's clock (here standing still at NOW).
    [job] = jobs(replace(deps, clock=lambda: NOW))

    released = await Scheduler(pool, [job]).run_once(job)

    assert released == 1
    rows = await pool.fetch("SELECT username, status FROM accounts ORDER BY username")
    assert [tuple(r) for r in rows] == [("active", "active"), ("fresh", "reserved")]
    async with uow() as tx:  # the username is free again
        assert await tx.accounts.reserve(reservation("stale", NOW)) == "acc-stale"


async def test_the_service_runs_the_job_every_minute(database: str) -> None:
    app = create_app(settings(database))
    [job] = [j for j in runtime_of(app).jobs if j.name == JOB]
    assert job.every_s == 60
    assert app.state.dependencies.settings.reservation_ttl_minutes == 60, "the default"
