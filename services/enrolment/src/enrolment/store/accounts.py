"""People known to have an account in a tenant (learnt from RegistrationCompleted)."""

from collections.abc import Sequence

from enrolment.store.rows import Rows


class AccountRows(Rows):
    async def remember(self, tenant_id: str, email: str, account_id: str) -> None:
        await self.conn.execute(
            "INSERT INTO accounts (tenant_id, email, account_id) VALUES ($1, $2, $3) "
            "ON CONFLICT (tenant_id, email) DO UPDATE SET account_id = EXCLUDED.account_id",
            tenant_id,
            email,
            account_id,
        )

    async def of_emails(self, tenant_id: str, emails: Sequence[str]) -> dict[str, str]:
        """The account id of each of these (normalised) emails that has one."""
        rows = await self.conn.fetch(
            "SELECT email, account_id FROM accounts WHERE tenant_id = $1 AND email = ANY($2)",
            tenant_id,
            list(emails),
        )
        return {r["email"]: r["account_id"] for r in rows}
