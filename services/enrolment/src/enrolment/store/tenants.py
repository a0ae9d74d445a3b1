"""Tenants: who may call (by the hash of their API key) and their invite policy."""

from datetime import datetime

from enrolment.domain.policy import InvitePolicy
from enrolment.store.rows import Rows


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

    async def invite_policy(self, tenant_id: str) -> InvitePolicy:
        policy: str = await self.conn.fetchval(
            "SELECT invite_policy FROM tenants WHERE id = $1", tenant_id
        )
        return InvitePolicy(policy)

    async def set_invite_policy(self, tenant_id: str, policy: InvitePolicy) -> None:
        await self.conn.execute(
            "UPDATE tenants SET invite_policy = $2 WHERE id = $1", tenant_id, policy.value
        )
