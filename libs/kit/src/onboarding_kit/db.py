"""Connection pool and the migrations runner.

Migrations are plain SQL files applied in name order, each once, each in its own
transaction. The kit's own tables (outbox, inbox) are applied first under the namespace
`kit`, then the service's under its name. An advisory lock lets several replicas start at
once without applying a file twice.
"""

import logging
from collections.abc import Sequence
from pathlib import Path

import asyncpg

log = logging.getLogger(__name__)

KIT_MIGRATIONS = Path(__file__).parent / "migrations"
_MIGRATION_LOCK = 0x6F6E62  # any constant shared by every replica of every service


class PooledConnection(asyncpg.Connection):  # type: ignore[misc]  # asyncpg is untyped
    """A pool connection given back without the reset query (advisory unlocks, `CLOSE ALL`,
    `UNLISTEN *`, `RESET ALL`): the services keep no session state on pool connections
    (their locks and settings are transaction-scoped, LISTEN has a connection of its own),
    and that query is one more round trip for every transaction. An open transaction is
    still rolled back when a connection is given back."""

    def get_reset_query(self) -> str:
        return ""


async def create_pool(dsn: str, *, size: int = 10) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(
        dsn,
        min_size=1,
        max_size=size,
        command_timeout=60,
        connection_class=PooledConnection,
    )
    assert pool is not None
    return pool


async def apply_migrations(
    conn: asyncpg.Connection, sources: Sequence[tuple[str, Path]]
) -> list[str]:
    """Apply every pending `*.sql` file of each (namespace, directory); return their names."""
    applied: list[str] = []
    await conn.execute("SELECT pg_advisory_lock($1)", _MIGRATION_LOCK)
    try:
        await conn.execute(
            """CREATE TABLE IF NOT EXISTS schema_migrations (
                   namespace text NOT NULL,
                   name text NOT NULL,
                   applied_at timestamptz NOT NULL DEFAULT now(),
                   PRIMARY KEY (namespace, name))"""
        )
        for namespace, directory in sources:
            done = {
                row["name"]
                for row in await conn.fetch(
                    "SELECT name FROM schema_migrations WHERE namespace = $1", namespace
                )
            }
            for path in sorted(directory.glob("*.sql")):
                if path.name in done:
                    continue
                async with conn.transaction():
                    await conn.execute(path.read_text())
                    await conn.execute(
                        "INSERT INTO schema_migrations (namespace, name) VALUES ($1, $2)",
                        namespace,
                        path.name,
                    )
                log.info("migration applied", extra={"namespace": namespace, "file": path.name})
                applied.append(f"{namespace}/{path.name}")
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _MIGRATION_LOCK)
    return applied
