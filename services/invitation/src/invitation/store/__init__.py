"""The invitation service's SQL, by concern, and the transaction holding it: `invitations`
(the rows, their first link, its use) and `lifecycle` (links replaced, links expired)."""

import asyncpg
from onboarding_kit.uow import Transaction

from invitation.store.invitations import InvitationRows
from invitation.store.lifecycle import LifecycleRows


class InvitationTransaction(Transaction):
    """One database transaction of the invitation service: its rows and the outbox."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        super().__init__(conn)
        self.invitations = InvitationRows(conn)
        self.lifecycle = LifecycleRows(conn)
