"""The registration service's store over a real PostgreSQL, its migrations applied."""

from collections.abc import AsyncIterator

import asyncpg
import pytest
from onboarding_kit.db import KIT_MIGRATIONS, apply_migrations, create_pool
from onboarding_kit.uow import UnitOfWork
from registration.app import MIGRATIONS
from registration.store import RegistrationTransaction


@pytest.fixture
async def pool(database: str) -> AsyncIterator[asyncpg.Pool]:
    """A pool on a fresh registration database, large enough for every concurrent call."""
    pool = await create_pool(database, size=20)
    async with pool.acquire() as conn:
        await apply_migrations(conn, [("kit", KIT_MIGRATIONS), ("registration", MIGRATIONS)])
    yield pool
    await pool.close()


@pytest.fixture
def uow(pool: asyncpg.Pool) -> UnitOfWork[RegistrationTransaction]:
    return UnitOfWork(lambda: pool, RegistrationTransaction)
