"""People known to have an account in a tenant, and the username each signs in with
(learnt from RegistrationCompleted)."""

from collections.abc import Sequence

from enrolment.store.rows import Rows


class AccountRows(Rows):
    async def remember(
        self, tenant_id: str, email: str, account_id: str, username: str | None = None
    ) -> None:
        """Record the account of this (normalised) email; a username already known is kept
        when none is given."""
        await self.conn.execute(
            "INSERT INTO accounts (tenant_id, email, account_id, username) "
            "VALUES ($1, $2, $3, $4) "
            "ON CONFLICT (tenant_id, email) DO UPDATE SET account_id = EXCLUDED.account_id, "
            "username = coalesce(EXCLUDED.username, accounts.username)",
            tenant_id,
            email,
            account_id,
            username,
        )

    async def of_emails(self, tenant_id: str, emails: Sequence[str]) -> dict[str, str]:
        """The account id of each of these (normalised) emails that has one."""
        rows = await self.conn.fetch(
            "SELECT email, account_id FROM accounts WHERE tenant_id = $1 AND email = ANY($2)",
            tenant_id,
            list(emails),
        )
        return {r["email"]: r["account_id"] for r in rows}

    async def usernames_of(self, tenant_id: str, emails: Sequence[str]) -> dict[str, str]:
        """The username of each of these (normalised) emails whose account has one."""
        rows = await self.conn.fetch(
            "SELECT email, username FROM accounts "
            "WHERE tenant_id = $1 AND email = ANY($2) AND username IS NOT NULL",
            tenant_id,
            list(emails),
        )
        return {r["email"]: r["username"] for r in rows}
