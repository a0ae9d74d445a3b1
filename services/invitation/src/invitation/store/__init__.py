"""The invitation service's SQL, one module per aggregate, and the transaction holding it."""

import asyncpg
from onboarding_kit.uow import Transaction

from invitation.store.invitations import InvitationRows


class InvitationTransaction(Transaction):
    """One database transaction of the invitation service: its rows and the outbox."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        super().__init__(conn)
        self.invitations = InvitationRows(conn)
