"""Tenants: who may call (by the hash of their API key) and their settings."""

from collections.abc import Sequence
from dataclasses import fields
from datetime import datetime

import asyncpg

from enrolment.domain.policy import InvitePolicy
from enrolment.domain.settings import TenantSettings
from enrolment.store.rows import Rows

SETTINGS_FIELDS = tuple(f.name for f in fields(TenantSettings))
_SETTINGS_COLUMNS = ", ".join(SETTINGS_FIELDS)


def _settings(record: asyncpg.Record) -> TenantSettings:
    values = {f: record[f] for f in SETTINGS_FIELDS}
    values["invite_policy"] = InvitePolicy(values["invite_policy"])
    return TenantSettings(**values)


class TenantRows(Rows):
    async def by_key_hash(self, key_hash: str) -> str | None:
        """The id of the tenant holding this key, if any."""
        tenant_id: str | None = await self.conn.fetchval(
            "SELECT id FROM tenants WHERE api_key_hash = $1", key_hash
        )
        return tenant_id

    async def upsert(self, tenant_id: str, name: str, key_hash: str, at: datetime) -> str:
        """The tenant named so, created or given this key; its id."""
        stored: str = await self.conn.fetchval(
            """INSERT INTO tenants (id, name, api_key_hash, created_at) VALUES ($1, $2, $3, $4)
               ON CONFLICT (name) DO UPDATE SET api_key_hash = EXCLUDED.api_key_hash
               RETURNING id""",
            tenant_id,
            name,
            key_hash,
            at,
        )
        return stored

    async def settings(self, tenant_id: str, *, for_update: bool = False) -> TenantSettings:
        lock = " FOR UPDATE" if for_update else ""
        row = await self.conn.fetchrow(
            f"SELECT {_SETTINGS_COLUMNS} FROM tenants WHERE id = $1{lock}", tenant_id
        )
        return _settings(row)

    async def settings_of(self, tenant_ids: Sequence[str]) -> dict[str, TenantSettings]:
        rows = await self.conn.fetch(
            f"SELECT id, {_SETTINGS_COLUMNS} FROM tenants WHERE id = ANY($1::text[])",
            list(tenant_ids),
        )
        return {r["id"]: _settings(r) for r in rows}

    async def save_settings(self, tenant_id: str, settings: TenantSettings) -> None:
        assignments = ", ".join(f"{f} = ${n}" for n, f in enumerate(SETTINGS_FIELDS, start=2))
        await self.conn.execute(
            f"UPDATE tenants SET {assignments} WHERE id = $1",
            tenant_id,
            *(getattr(settings, f) for f in SETTINGS_FIELDS),
        )
