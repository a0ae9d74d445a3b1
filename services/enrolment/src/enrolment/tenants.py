"""`python -m enrolment.tenants NAME [--api-key KEY]`: create a tenant (or rotate its key)
and print its API key. Only the key's SHA-256 is stored."""

import argparse
import asyncio
import secrets

import asyncpg
from onboarding_kit.db import KIT_MIGRATIONS, apply_migrations

from enrolment.api import hash_api_key
from enrolment.app import MIGRATIONS, EnrolmentSettings
from enrolment.handlers import new_id
from enrolment.store import EnrolmentStore


async def ensure_tenant(dsn: str, name: str, api_key: str) -> str:
    conn = await asyncpg.connect(dsn)
    try:
        await apply_migrations(conn, [("kit", KIT_MIGRATIONS), ("enrolment", MIGRATIONS)])
        return await EnrolmentStore(conn).upsert_tenant(new_id(), name, hash_api_key(api_key))
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("name")
    parser.add_argument("--api-key", help="use this key instead of generating one")
    args = parser.parse_args()
    api_key = args.api_key or f"onb_{secrets.token_urlsafe(32)}"
    settings = EnrolmentSettings()
    tenant_id = asyncio.run(ensure_tenant(settings.database_url, args.name, api_key))
    print(f"tenant {args.name} ({tenant_id})")
    print(f"ONBOARDING_API_KEY={api_key}")


if __name__ == "__main__":
    main()
