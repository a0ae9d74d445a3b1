"""SQL of the tenants' messaging settings, as the enrolment service announced them."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg


@dataclass(frozen=True)
class TenantMessaging:
    tenant_id: str
    sender_name: str | None = None
    message_intro: str | None = None
    messages_per_second: float | None = None


class TenantRows:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def record(self, settings: TenantMessaging, changed_at: datetime) -> None:
        """Keep the newest announcement: an older one, seen late, changes nothing."""
        await self.conn.execute(
            """INSERT INTO tenant_messaging (tenant_id, sender_name, message_intro,
                                             messages_per_second, changed_at)
               VALUES ($1, $2, $3, $4, $5)
               ON CONFLICT (tenant_id) DO UPDATE
               SET sender_name = excluded.sender_name, message_intro = excluded.message_intro,
                   messages_per_second = excluded.messages_per_second,
                   changed_at = excluded.changed_at
               WHERE tenant_messaging.changed_at <= excluded.changed_at""",
            settings.tenant_id,
            settings.sender_name,
            settings.message_intro,
            settings.messages_per_second,
            changed_at,
        )

    async def of(self, tenant_ids: Sequence[str]) -> dict[str, TenantMessaging]:
        rows = await self.conn.fetch(
            """SELECT tenant_id, sender_name, message_intro, messages_per_second
               FROM tenant_messaging WHERE tenant_id = ANY($1::text[])""",
            list(tenant_ids),
        )
        found = {r["tenant_id"]: TenantMessaging(**dict(r)) for r in rows}
        return {t: found.get(t, TenantMessaging(t)) for t in tenant_ids}
