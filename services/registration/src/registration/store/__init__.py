"""The registration service's SQL, one module per aggregate, and its transaction type."""

import asyncpg
from onboarding_kit.uow import Transaction

from registration.store.accounts import AccountRows


class RegistrationTransaction(Transaction):
    def __init__(self, conn: asyncpg.Connection) -> None:
        super().__init__(conn)
        self.accounts = AccountRows(conn)
