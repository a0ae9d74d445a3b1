"""`python -m enrolment.tenants NAME [--api-key KEY]`: create a tenant (or rotate its key)
and print its API key. Only the key's SHA-256 is stored."""

import argparse
import asyncio

from onboarding_kit.clock import utcnow
from onboarding_kit.db import KIT_MIGRATIONS, apply_migrations, create_pool
from onboarding_kit.ids import new_id
from onboarding_kit.uow import UnitOfWork

from enrolment.domain.api_keys import new_api_key
from enrolment.settings import MIGRATIONS, EnrolmentSettings
from enrolment.store import EnrolmentTransaction
from enrolment.use_cases import tenants


async def ensure_tenant(dsn: str, name: str, api_key: str) -> str:
    """The id of the tenant `name` (created if new) in the database at `dsn`, which now
    accepts `api_key`; the service's schema is applied first if it is missing."""
    pool = await create_pool(dsn, size=2)
    try:
        async with pool.acquire() as conn:
            await apply_migrations(conn, [("kit", KIT_MIGRATIONS), ("enrolment", MIGRATIONS)])
        uow = UnitOfWork(lambda: pool, EnrolmentTransaction)
        return await tenants.ensure_tenant(uow, utcnow, new_id, name, api_key)
    finally:
        await pool.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("name")
    parser.add_argument("--api-key", help="use this key instead of generating one")
    args = parser.parse_args()
    api_key = args.api_key or new_api_key()
    settings = EnrolmentSettings()
    tenant_id = asyncio.run(ensure_tenant(settings.database_url, args.name, api_key))
    print(f"tenant {args.name} ({tenant_id})")
    print(f"ONBOARDING_API_KEY={api_key}")


if __name__ == "__main__":
    main()
